package io.arraypki.operator.trust;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A value read from mounted files, read again when any of them changes. Kubernetes swaps a
 * mounted Secret's files atomically (a symlink flip), so a change shows as new content; the
 * check costs a few small reads per use and never blocks a handshake for long.
 */
final class MountedFiles<T> {
  private final Path[] files;
  private final Function<byte[][], T> parser;
  private byte[][] seen;
  private T value;
  private java.util.function.BiConsumer<T, T> onChange = (a, b) -> {};

  MountedFiles(Function<byte[][], T> parser, Path... files) {
    this.parser = parser;
    this.files = files;
  }

  /** Called with the old and the new value on every reload. */
  synchronized void onChange(java.util.function.BiConsumer<T, T> listener) {
    this.onChange = listener;
  }

  /** The current value; the previous one stays when the files are missing or do not parse. */
  synchronized T get() {
    byte[][] now = new byte[files.length][];
    for (int i = 0; i < files.length; i++) {
      try {
        now[i] = Files.exists(files[i]) ? Files.readAllBytes(files[i]) : null;
      } catch (IOException e) {
        return value;
      }
    }
    if (seen == null || !Arrays.deepEquals(seen, now)) {
      try {
        T fresh = parser.apply(now);
        onChange.accept(value, fresh);
        value = fresh;
        seen = now;
      } catch (RuntimeException e) {
        // a half-written or broken mount: keep serving what worked until it is whole again
        if (value == null) {
          throw e;
        }
      }
    }
    return value;
  }
}
