package featurealign.eval;

import featurealign.io.AtomicFiles;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A small results table with the columns {@code metric}, {@code value}, {@code unit} and {@code note}, e.g.
 * ("reconstruction MSE", 0.05, "per pixel", "1,000 test images, z = μ + σ·ε"). Rows keep their insertion order.
 * Backed by a Tablesaw {@link Table}; pretty-printed by {@link #toString()}, saved as UTF-8 CSV by {@link #saveCsv}.
 */
public final class MetricsTable {

    /** The column names, in order. */
    public static final List<String> COLUMNS = List.of("metric", "value", "unit", "note");

    private final Table table;

    /** An empty table; {@code title} names it when printed. */
    public MetricsTable(String title) {
        table = Table.create(Objects.requireNonNull(title, "title"),
                StringColumn.create("metric"), DoubleColumn.create("value"), StringColumn.create("unit"),
                StringColumn.create("note"));
    }

    /**
     * Appends a row and returns this table.
     *
     * @param metric what was measured (non-blank)
     * @param value  the number (NaN is allowed and written as an empty CSV cell)
     * @param unit   its unit, "" if none
     * @param note   how it was measured (sample count, settings), "" if nothing to add
     */
    public MetricsTable add(String metric, double value, String unit, String note) {
        if (metric == null || metric.isBlank()) throw new IllegalArgumentException("metric name must be non-blank");
        table.stringColumn("metric").append(metric);
        table.doubleColumn("value").append(value);
        table.stringColumn("unit").append(unit == null ? "" : unit);
        table.stringColumn("note").append(note == null ? "" : note);
        return this;
    }

    /** Appends a generated-vs-real Fréchet distance and, on the next row, its real-vs-real floor. */
    public MetricsTable addFrechet(String metric, SampleQuality.Comparison c, String note) {
        add(metric, c.frechet(), "judge features²", c.count() + " images per set" + (note.isEmpty() ? "" : "; " + note));
        return add(metric + " (real-vs-real floor)", c.realFloor(), "judge features²",
                c.count() + " images per set, two disjoint real sets");
    }

    /** Number of rows. */
    public int size() { return table.rowCount(); }

    /** The value of the first row named {@code metric}; throws if there is none. */
    public double value(String metric) {
        StringColumn names = table.stringColumn("metric");
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(metric)) return table.doubleColumn("value").getDouble(i);
        }
        throw new IllegalArgumentException("no metric named '" + metric + "' in table " + table.name());
    }

    /** A copy of the underlying Tablesaw table. */
    public Table table() { return table.copy(); }

    /** The whole table, pretty-printed with its title. */
    @Override public String toString() { return table.printAll(); }

    /** Writes the table as UTF-8 CSV with a header row, atomically (readers never see a partial file). */
    public void saveCsv(Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            table.write().csv(writer);
            writer.flush();
        });
    }

    /**
     * Reads a CSV written by {@link #saveCsv}; the header must be exactly {@link #COLUMNS}.
     *
     * @throws IOException naming the file if it is missing or its header differs
     */
    public static MetricsTable readCsv(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("metrics CSV " + file + " does not exist");
        String header;
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            header = lines.findFirst().orElse("");
        }
        if (!header.strip().equals(String.join(",", COLUMNS))) {
            throw new IOException("metrics CSV " + file + ": header must be '" + String.join(",", COLUMNS)
                    + "', got '" + header + "'");
        }
        Table read;
        try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            read = Table.read().usingOptions(CsvReadOptions.builder(reader).columnTypes(new ColumnType[]{
                    ColumnType.STRING, ColumnType.DOUBLE, ColumnType.STRING, ColumnType.STRING}));
        }
        String title = file.getFileName().toString().replaceFirst("\\.csv$", "");
        MetricsTable result = new MetricsTable(title);
        for (int i = 0; i < read.rowCount(); i++) {
            result.add(read.stringColumn("metric").get(i), read.doubleColumn("value").getDouble(i),
                    read.stringColumn("unit").get(i), read.stringColumn("note").get(i));
        }
        return result;
    }
}
