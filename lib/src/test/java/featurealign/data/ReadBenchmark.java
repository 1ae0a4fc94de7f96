package featurealign.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Times reading the 60,000 MNIST training images (IDX → {@link ImageSet}), the median of several runs after
 * warm-up, plus the conversion of all of them to a float32 [60000, 1, 28, 28] array. Run with
 * {@code bench/ReadBenchmark.sh} (MNIST must be available: {@code environment/fetch-data}).
 */
public final class ReadBenchmark {
    private ReadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int warmup = 3;
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 9;
        long start = System.nanoTime();
        DataStore.Location location = DataStore.builder().fetching(false).log(null).build().locate(DataSetId.MNIST);
        double locateMs = (System.nanoTime() - start) / 1e6;
        Path dir = location.directory();
        System.out.printf("MNIST at %s (%s)%n", dir, location.verification());
        System.out.printf("locate + verify md5 of the 4 files (first call): %.0f ms%n", locateMs);

        double[] read = new double[runs];
        double[] toFloat = new double[runs];
        for (int r = -warmup; r < runs; r++) {
            long t0 = System.nanoTime();
            ImageSet train = MnistReader.readMnist(dir, Split.TRAIN);
            long t1 = System.nanoTime();
            var x = train.toFloatNCHW();
            long t2 = System.nanoTime();
            if (train.size() != 60_000 || x.size(0) != 60_000) {
                throw new IllegalStateException("unexpected size " + train.size());
            }
            x.close();
            if (r >= 0) {
                read[r] = (t1 - t0) / 1e6;
                toFloat[r] = (t2 - t1) / 1e6;
            }
        }
        System.out.printf("read 60,000 training images + labels: median %.0f ms (min %.0f, max %.0f, %d runs after"
                + " %d warm-up)%n", median(read), min(read), max(read), runs, warmup);
        System.out.printf("toFloatNCHW of all 60,000: median %.0f ms (min %.0f, max %.0f)%n", median(toFloat),
                min(toFloat), max(toFloat));
        // The same from gzip files, as fetched from the canonical mirrors.
        Path gzDir = java.nio.file.Files.createTempDirectory("read-benchmark-gz");
        try {
            for (String name : new String[]{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}) {
                Path source = MnistReader.findFile(dir, name);
                Path target = gzDir.resolve(name + ".gz");
                if (DataFiles.isGzip(source)) {
                    java.nio.file.Files.copy(source, target);
                } else {
                    try (var out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(target))) {
                        java.nio.file.Files.copy(source, out);
                    }
                }
            }
            double[] gz = new double[runs];
            for (int r = -warmup; r < runs; r++) {
                long t0 = System.nanoTime();
                ImageSet train = MnistReader.readMnist(gzDir, Split.TRAIN);
                if (r >= 0) {
                    gz[r] = (System.nanoTime() - t0) / 1e6;
                }
                if (train.size() != 60_000) {
                    throw new IllegalStateException("unexpected size " + train.size());
                }
            }
            System.out.printf("read the same from .gz files: median %.0f ms (min %.0f, max %.0f)%n", median(gz),
                    min(gz), max(gz));
        } finally {
            try (var files = java.nio.file.Files.list(gzDir)) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
            java.nio.file.Files.delete(gzDir);
        }
        System.out.printf("cores: %d, java %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
