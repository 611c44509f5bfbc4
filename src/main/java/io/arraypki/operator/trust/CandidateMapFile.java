package io.arraypki.operator.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/** Reads candidate-map.json (the CandidateMap's spec as JSON): the allowed client digests. */
public final class CandidateMapFile {
  private static final ObjectMapper JSON = new ObjectMapper();

  private CandidateMapFile() {}

  /** The certificate digests of the map; IllegalStateException when the file is not JSON. */
  public static Set<String> digests(byte[] json) {
    try {
      JsonNode entries = JSON.readTree(json).path("entries");
      Set<String> digests = new HashSet<>();
      entries.forEach(e -> {
        String digest = e.path("certificateDigest").asText("");
        if (!digest.isEmpty()) {
          digests.add(digest);
        }
      });
      return digests;
    } catch (IOException e) {
      throw new IllegalStateException("candidate-map.json is not valid JSON", e);
    }
  }
}
