package io.arraypki.operator.trust;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A Lease in memory for tests of the reporter: it records every write and can be told to fail. */
final class RecordingLease implements LeaseWriter {
  record Write(Confirmation confirmation, String holderIdentity, Instant confirmedAt) {}

  private Confirmation held;
  private final List<Write> writes = new ArrayList<>();
  private int reads;
  private int attempts;
  private int failuresToCome;

  RecordingLease() {
    this(null);
  }

  /** A Lease that already holds {@code held}, as a restarted member finds it. */
  RecordingLease(Confirmation held) {
    this.held = held;
  }

  /** What someone else (the operator) does: the Lease now holds {@code confirmation}. */
  synchronized void replace(Confirmation confirmation) {
    held = confirmation;
  }

  synchronized void failNext(int writes) {
    failuresToCome = writes;
  }

  synchronized List<Write> writes() {
    return List.copyOf(writes);
  }

  synchronized int reads() {
    return reads;
  }

  synchronized int attempts() {
    return attempts;
  }

  @Override
  public synchronized Confirmation read() {
    reads++;
    return held;
  }

  @Override
  public synchronized void write(Confirmation confirmation, String holderIdentity, Instant confirmedAt)
      throws IOException {
    attempts++;
    if (failuresToCome > 0) {
      failuresToCome--;
      throw new IOException("cannot patch " + describe() + ": HTTP 500 etcdserver: request timed out");
    }
    held = confirmation;
    writes.add(new Write(confirmation, holderIdentity, confirmedAt));
  }

  @Override
  public String describe() {
    return "Lease test/node-a-trust";
  }
}
