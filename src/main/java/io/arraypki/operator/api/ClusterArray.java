package io.arraypki.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An array of servers whose primary acts as its CA. */
@Group(ClusterArray.GROUP)
@Version(ClusterArray.VERSION)
@ShortNames("carr")
@Categories("arraypki")
@AdditionalPrinterColumn(name = "Primary", jsonPath = ".status.primary", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Members", jsonPath = ".status.members", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyMembers", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "CA", jsonPath = ".status.ca.shortFingerprint", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "CA Expires", jsonPath = ".status.ca.notAfter", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.rotation.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Next Window", jsonPath = ".status.renewal.nextWindowStart", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ClusterArray extends CustomResource<ClusterArraySpec, ClusterArrayStatus>
    implements Namespaced {
  public static final String GROUP = "arraypki.io";
  public static final String VERSION = "v1alpha1";
}
