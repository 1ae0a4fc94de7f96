package featurealign.data;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the real data sets for tests, verified, without fetching: the shared folder (system property
 * {@code fa.shared.dir}, set by surefire, + "/data"), then FA_DATA_DIR, then the cache. In CI ({@code CI=true})
 * absent data fails the test; elsewhere the test is skipped with the reason.
 */
final class RealData {
    private RealData() {
    }

    static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * The shared data root, or null: {@code fa.shared.dir}/data, else a {@code shared/data} beside the checkout
     * (Maven run from lib/ sets fa.shared.dir one level too deep).
     */
    static Path sharedDataRoot() {
        String shared = System.getProperty("fa.shared.dir");
        if (shared != null && Files.isDirectory(Path.of(shared).resolve("data"))) {
            return Path.of(shared).resolve("data").normalize();
        }
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path dir = here; dir != null && dir.getNameCount() >= here.getNameCount() - 2; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared").resolve("data");
            if (Files.isDirectory(candidate)) {
                return candidate.normalize();
            }
        }
        return null;
    }

    static DataStore store() {
        DataStore.Builder builder = DataStore.builder().fetching(false).log(null);
        Path shared = sharedDataRoot();
        if (shared != null) {
            builder.root(shared);
        }
        return builder.build();
    }

    /** The verified folder of {@code id}; fails in CI, skips elsewhere, when it is absent. */
    static Path locate(DataSetId id) {
        try {
            return store().locate(id).directory();
        } catch (DataFormatException e) {
            String hint = id == DataSetId.MNIST ? " Run environment/fetch-data first." : "";
            if (inCi()) {
                fail("real " + id.directoryName() + " data is required in CI (CI=true) but absent." + hint + "\n"
                        + e.getMessage());
            }
            Assumptions.abort("real " + id.directoryName() + " data not found; skipped outside CI." + hint + "\n"
                    + e.getMessage());
            return null;
        }
    }
}
