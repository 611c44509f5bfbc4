/**
 * One thin reconciler per kind. A reconcile reads the state from the informer caches, computes
 * the desired objects with pure functions (pki/ and the planners here), applies them through
 * k8s/, and writes status once, only when it changed. Time is injected as a {@link
 * java.time.Clock}; no state lives only in memory.
 */
package io.arraypki.operator.reconciler;
