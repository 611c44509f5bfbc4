package io.arraypki.operator.trust;

import java.io.IOException;
import java.time.Instant;

/**
 * Where {@link TrustConfirmations} records what a member has loaded: the member's trust Lease
 * ({@link KubernetesLease}), or a recording stand-in in a test.
 */
public interface LeaseWriter {
  /**
   * What the Lease confirms now, or null when it holds no confirmation yet. A reporter reads it
   * once when it starts, so that a restarted member whose files did not change writes nothing.
   */
  Confirmation read() throws IOException, InterruptedException;

  /**
   * Records {@code confirmation}, who holds it and when, with one request.
   *
   * @throws IOException it was not recorded (the reporter tries again later)
   */
  void write(Confirmation confirmation, String holderIdentity, Instant confirmedAt)
      throws IOException, InterruptedException;

  /** Which Lease, for log lines: {@code namespace/name}. */
  String describe();
}
