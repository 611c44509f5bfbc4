/**
 * The custom resources of arraypki.io/v1alpha1: ClusterArray, Node and CandidateMap.
 *
 * <p>These classes are the API contract (DESIGN.md section 1) and the source of the generated
 * CRDs in {@code crds/}. They are plain data carriers with public fields, mirroring the YAML
 * one to one; validation that the API server can do lives here as schema annotations and CEL
 * rules, so that bad input is refused before the operator ever sees it. Defaults that depend
 * on other fields (such as renewBefore = duration / 3) are resolved by the reconcilers.
 */
package io.arraypki.operator.api;
