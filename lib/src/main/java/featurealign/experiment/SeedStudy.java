package featurealign.experiment;

import featurealign.eval.MetricsTable;
import featurealign.io.AtomicFiles;
import featurealign.train.FaTrainer;
import featurealign.train.RunConfig;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * One run configuration over several seeds: seeds s0..s0+N−1 (s0 = the config's seed), each trained in its own folder
 * {@code <base>/seeds/seed-<s>/} (resumable: a finished checkpoint there is reused, not trained again) and measured with
 * {@link Experiment#metrics} (its {@code metrics.csv}, always computed anew so that a changed {@code sampling.prior}
 * counts), then {@code <base>/seeds.csv}: one row per metric with the number of seeds that gave a value, mean, sample
 * standard deviation (n − 1), min, max and each seed's value.
 */
public final class SeedStudy {
    private SeedStudy() {}

    /** The summary file written in the base folder. */
    public static final String CSV = "seeds.csv";

    /** The summary's leading columns; a column per seed ({@code seed-<s>}) and {@code note} follow. */
    public static final List<String> COLUMNS = List.of("metric", "unit", "n", "mean", "sd", "min", "max");

    /**
     * One metric over the seeds.
     *
     * @param values each seed's value, in the order of the seeds (NaN where that seed's table has no number)
     * @param note   the seeds' note when they all agree (e.g. the sampling prior's name), else ""
     */
    public record Row(String metric, String unit, double[] values, String note) {
        /** Seeds with a finite value; mean, sd, min and max are over these. */
        public int n() { return (int) Arrays.stream(values).filter(Double::isFinite).count(); }

        public double mean() { return n() == 0 ? Double.NaN : finite().average().orElse(Double.NaN); }

        /** The sample standard deviation (divides by n − 1); NaN for fewer than two values. */
        public double sd() {
            int n = n();
            if (n < 2) return Double.NaN;
            double m = mean();
            return Math.sqrt(finite().map(v -> (v - m) * (v - m)).sum() / (n - 1));
        }

        public double min() { return finite().min().orElse(Double.NaN); }

        public double max() { return finite().max().orElse(Double.NaN); }

        private java.util.stream.DoubleStream finite() { return Arrays.stream(values).filter(Double::isFinite); }
    }

    /** A seed's run folder under {@code base}. */
    public static Path runDir(Path base, long seed) {
        return base.resolve("seeds").resolve("seed-" + seed);
    }

    /** The seeds of a study of {@code count} runs: {@code config.seed()} and the next ones. */
    public static long[] seeds(RunConfig config, int count) {
        if (count < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + count);
        long[] s = new long[count];
        for (int i = 0; i < count; i++) s[i] = config.seed() + i;
        return s;
    }

    /**
     * The rows of the summary: every metric of the seeds' tables ({@code tables.get(i)} is seed {@code seeds[i]}'s), in
     * the first table's order. Text rows (a NaN value in every seed, e.g. "sampling prior") get n = 0 and no numbers;
     * a NaN in some seeds only is left out of that metric's statistics (n says how many seeds count).
     *
     * @throws IllegalArgumentException when the tables do not hold the same metrics with the same units, or one holds
     *                                  a metric twice: tables of different code or settings cannot be averaged
     */
    public static List<Row> aggregate(long[] seeds, List<MetricsTable> tables) {
        if (seeds.length != tables.size() || seeds.length == 0) {
            throw new IllegalArgumentException(seeds.length + " seeds but " + tables.size() + " metrics tables");
        }
        List<Map<String, Integer>> index = new ArrayList<>();
        for (int i = 0; i < tables.size(); i++) {
            Map<String, Integer> rows = new LinkedHashMap<>();
            StringColumn names = tables.get(i).table().stringColumn("metric");
            for (int r = 0; r < names.size(); r++) {
                if (rows.put(names.get(r), r) != null) {
                    throw new IllegalArgumentException("seed " + seeds[i] + "'s metrics table has '" + names.get(r) + "' twice");
                }
            }
            index.add(rows);
        }
        for (int i = 1; i < tables.size(); i++) {
            Set<String> missing = new LinkedHashSet<>(index.get(0).keySet()), extra = new LinkedHashSet<>(index.get(i).keySet());
            missing.removeAll(index.get(i).keySet());
            extra.removeAll(index.get(0).keySet());
            if (!missing.isEmpty() || !extra.isEmpty()) {
                throw new IllegalArgumentException("the seeds' metrics tables differ: seed " + seeds[i]
                        + (missing.isEmpty() ? "" : " lacks " + missing + " of seed " + seeds[0])
                        + (extra.isEmpty() ? "" : " has " + extra + " that seed " + seeds[0] + " lacks")
                        + "; run every seed with the same code and settings");
            }
        }
        List<Table> t = tables.stream().map(MetricsTable::table).toList();
        List<Row> out = new ArrayList<>();
        for (String metric : index.get(0).keySet()) {
            double[] values = new double[seeds.length];
            String unit = null, note = null;
            boolean sameNote = true;
            for (int i = 0; i < seeds.length; i++) {
                int r = index.get(i).get(metric);
                values[i] = t.get(i).doubleColumn("value").getDouble(r);
                String u = t.get(i).stringColumn("unit").get(r), nt = t.get(i).stringColumn("note").get(r);
                if (unit == null) unit = u;
                else if (!unit.equals(u)) {
                    throw new IllegalArgumentException("'" + metric + "' is in " + unit + " for seed " + seeds[0] + " but in "
                            + u + " for seed " + seeds[i]);
                }
                if (note == null) note = nt;
                else sameNote &= note.equals(nt);
            }
            out.add(new Row(metric, unit, values, sameNote ? note : ""));
        }
        return out;
    }

    /** The summary as a table: {@link #COLUMNS}, one column per seed, {@code note}. */
    public static Table toTable(String title, long[] seeds, List<Row> rows) {
        Table t = Table.create(title, StringColumn.create("metric"), StringColumn.create("unit"), IntColumn.create("n"),
                DoubleColumn.create("mean"), DoubleColumn.create("sd"), DoubleColumn.create("min"), DoubleColumn.create("max"));
        for (long s : seeds) t.addColumns(DoubleColumn.create("seed-" + s));
        t.addColumns(StringColumn.create("note"));
        for (Row r : rows) {
            t.stringColumn("metric").append(r.metric());
            t.stringColumn("unit").append(r.unit());
            t.intColumn("n").append(r.n());
            t.doubleColumn("mean").append(r.mean()); // NaN is Tablesaw's missing value: an empty CSV cell
            t.doubleColumn("sd").append(r.sd());
            t.doubleColumn("min").append(r.min());
            t.doubleColumn("max").append(r.max());
            for (int i = 0; i < seeds.length; i++) t.doubleColumn("seed-" + seeds[i]).append(r.values()[i]);
            t.stringColumn("note").append(r.note());
        }
        return t;
    }

    /**
     * Runs {@code config} for {@code count} seeds under {@code base} on data the caller loaded, and writes
     * {@code base/seeds.csv}. Returns the summary.
     *
     * @throws IllegalStateException naming every seed that failed (the others are done and resumable; no summary is
     *                               written)
     */
    public static Table run(RunConfig config, int count, Path base, Experiment.Data data, PrintStream out) throws IOException {
        return run(config, count, base, data, null, out);
    }

    /**
     * As {@link #run(RunConfig, int, Path, Experiment.Data, PrintStream)}; a seed with no run under {@code base} yet
     * starts from {@code branchBase}'s encoder phase of the same seed ({@code runDir(branchBase, s)}'s
     * {@link FaTrainer#ganStartCheckpoint}; see {@link FaTrainer#branch}). {@code branchBase} null trains from step 0.
     */
    public static Table run(RunConfig config, int count, Path base, Experiment.Data data, Path branchBase, PrintStream out)
            throws IOException {
        long[] seeds = seeds(config, count);
        Path csv = base.resolve(CSV);
        requireOurs(csv); // before hours of training, not after
        List<MetricsTable> tables = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (long s : seeds) {
            Path dir = runDir(base, s);
            out.println("== seed " + s + " (" + (tables.size() + failures.size() + 1) + " of " + count + ") in " + dir);
            Experiment e = null;
            try {
                Path from = branchBase == null ? null
                        : FaTrainer.ganStartCheckpoint(runDir(branchBase, s).resolve("checkpoint.zip"));
                if (from != null && !Files.isRegularFile(from)) {
                    throw new IllegalStateException("no " + from + " to branch from (runs keep it when they reach ganStartStep)");
                }
                e = Experiment.open(config.withSeed(s), dir, data, from);
                long t0 = System.nanoTime();
                e.train(out, 10);
                out.printf(Locale.ROOT, "seed %d: %d steps, %.1f s in this session%n", s, e.trainer().step(), (System.nanoTime() - t0) / 1e9);
                MetricsTable t = e.metrics(out);
                out.println(t);
                tables.add(t);
            } catch (Exception ex) {
                failures.add("seed " + s + " (" + dir + "): " + ex);
                out.println("seed " + s + " FAILED: " + ex);
            } finally {
                // The next seed builds its own model: free this one's buffers first.
                if (e != null) e.trainer().model().memory().releaseFreeBuffers();
                System.gc();
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " of " + count + " seeds failed, so " + csv
                    + " was not written (finished seeds resume from their checkpoints): " + String.join("; ", failures));
        }
        Table summary = toTable(config.dataset() + " · profile " + config.profile() + " · seeds " + seeds[0] + "–"
                + seeds[count - 1], seeds, aggregate(seeds, tables));
        write(csv, summary);
        return summary;
    }

    /** {@link #run(RunConfig, int, Path, Experiment.Data, PrintStream)} on the config's data set from the data store. */
    public static Table run(RunConfig config, int count, Path base, PrintStream out) throws IOException {
        return run(config, count, base, Experiment.load(config), out);
    }

    /** Writes a summary as UTF-8 CSV, atomically, unless the file holds a table of another kind. */
    public static void write(Path file, Table summary) throws IOException {
        requireOurs(file);
        AtomicFiles.write(file, o -> {
            Writer w = new OutputStreamWriter(o, StandardCharsets.UTF_8);
            summary.write().csv(w);
            w.flush();
        });
    }

    /** A {@code seeds.csv} made by hand (e.g. results/paper/mnist's, with other columns) is never overwritten. */
    private static void requireOurs(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return;
        String header;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            header = lines.findFirst().orElse("");
        }
        if (!header.startsWith(String.join(",", COLUMNS) + ",")) {
            throw new IllegalStateException(file + " holds another table (header '" + header + "', expected one starting '"
                    + String.join(",", COLUMNS) + "'); move it, or choose another folder with --out");
        }
    }
}
