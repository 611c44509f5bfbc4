package io.arraypki.operator.ops.cli;

import java.util.ArrayList;
import java.util.List;

/** A table in kubectl's style: upper-case headers, columns padded to their widest cell, three spaces apart. */
final class Columns {
  private final List<String[]> rows = new ArrayList<>();

  Columns(String... headers) {
    rows.add(headers);
  }

  void row(String... cells) {
    rows.add(cells);
  }

  String render() {
    int columns = rows.get(0).length;
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    var out = new StringBuilder();
    for (String[] row : rows) {
      var line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(i == columns - 1 ? row[i] : String.format("%-" + (widths[i] + 3) + "s", row[i]));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  /** A CA's fingerprint as the printer columns show it ({@code AB:CD:EF:01}), or "-". */
  static String shortFingerprint(String fingerprint) {
    return fingerprint == null ? "-" : io.arraypki.operator.pki.Fingerprints.shortForm(fingerprint);
  }
}
