package io.arraypki.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A member of an array: kind {@code Node} of arraypki.io. The Java name differs from the kind
 * so that it never reads as Kubernetes' own Node; users type {@code kubectl get anodes}.
 */
@Group(ClusterArray.GROUP)
@Version(ClusterArray.VERSION)
@Kind("Node")
@Plural("nodes")
@Singular("node")
@ShortNames({"anode", "anodes", "arraynode"})
@Categories("arraypki")
@AdditionalPrinterColumn(name = "Array", jsonPath = ".spec.array", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Role", jsonPath = ".status.role", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "CA", jsonPath = ".status.caShortFingerprint", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Trust", jsonPath = ".status.trust.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Loaded CAs", jsonPath = ".status.trust.trustedCAs", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Expires", jsonPath = ".status.peerCertificate.notAfter", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Renews", jsonPath = ".status.peerCertificate.renewalTime", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ArrayNode extends CustomResource<ArrayNodeSpec, ArrayNodeStatus> implements Namespaced {}
