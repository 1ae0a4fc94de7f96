package featurealign.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Command line: makes data sets available and prints where each one is.
 *
 * <pre>
 * java -cp ... featurealign.data.FetchData [--offline] [mnist] [fashion-mnist] [cifar10] [celeba]
 * </pre>
 * With no data set named, MNIST. {@code --offline} only searches (never downloads). Exit code 0 when every
 * requested set is available, 1 otherwise (the reason is printed), 2 for bad arguments. Honours FA_DATA_DIR,
 * FA_CACHE_DIR and XDG_CACHE_HOME like {@link DataStore}.
 */
public final class FetchData {
    private FetchData() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command and returns its exit code (for tests). */
    static int run(String[] args) {
        boolean offline = false;
        List<DataSetId> sets = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--offline")) {
                offline = true;
            } else if (arg.equals("-h") || arg.equals("--help")) {
                System.out.println("usage: fetch-data [--offline] [mnist] [fashion-mnist] [cifar10] [celeba]"
                        + "  (default: mnist)");
                return 0;
            } else {
                try {
                    sets.add(DataSetId.parse(arg));
                } catch (IllegalArgumentException e) {
                    System.err.println("fetch-data: " + e.getMessage());
                    return 2;
                }
            }
        }
        if (sets.isEmpty()) {
            sets.add(DataSetId.MNIST);
        }
        DataStore store = DataStore.builder().fetching(!offline).build();
        int failures = 0;
        for (DataSetId id : sets) {
            try {
                DataStore.Location location = offline ? store.locate(id) : store.obtain(id);
                System.out.println(location);
            } catch (DataFormatException e) {
                failures++;
                System.err.println("fetch-data: " + e.getMessage());
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
