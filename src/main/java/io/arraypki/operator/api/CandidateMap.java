package io.arraypki.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Node to client-certificate digest: who may make privileged calls in an array. */
@Group(ClusterArray.GROUP)
@Version(ClusterArray.VERSION)
@ShortNames("cmap")
@Categories("arraypki")
@AdditionalPrinterColumn(name = "Array", jsonPath = ".spec.array", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Verified", jsonPath = ".status.verified", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Last Verified", jsonPath = ".status.lastVerified", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class CandidateMap extends CustomResource<CandidateMapSpec, CandidateMapStatus>
    implements Namespaced {}
