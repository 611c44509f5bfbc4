/**
 * Writers and readers of the Kubernetes objects the operator owns (Secrets, ConfigMaps, Events,
 * conditions), and the names, labels and annotations of the contract (DESIGN.md section 2).
 */
package io.arraypki.operator.k8s;
