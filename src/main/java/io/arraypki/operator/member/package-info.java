/**
 * The member daemon: what an array member's pod runs to prove the array's mutual TLS works. It
 * serves mutual TLS with the member library ({@code trust/}) over the mounted Secret and trust
 * ConfigMap, calls every peer on a timer with a full handshake and hostname verification, and
 * counts every call that fails, honestly, on a plain HTTP port ({@code /stats}, {@code /healthz}):
 * the end-to-end tests read those counts to prove that a CA rotation caused no outage.
 *
 * <p>Kubernetes is used for one thing only, finding the peers (the pods a label selector
 * selects); with a static peer list the daemon needs no API server. It never reads, logs or
 * serves a private key: only the member library's key manager holds one.
 */
package io.arraypki.operator.member;
