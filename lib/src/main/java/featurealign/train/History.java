package featurealign.train;

import featurealign.io.AtomicFiles;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.io.csv.CsvReadOptions;
import tech.tablesaw.io.csv.CsvWriteOptions;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Every training step's losses and wall time, as a Tablesaw table (one row per step). Loss columns are the paper's
 * sums over the batch; the GAN columns are empty (missing) for encoder-only steps.
 */
public final class History {
    public static final String STEP = "step", EPOCH = "epoch", ENCODER_LOSS = "encoder_loss",
            RECONSTRUCTION = "reconstruction_loss", KL = "kl_weighted", GENERATOR = "generator_loss",
            DISCRIMINATOR_REAL = "discriminator_real", DISCRIMINATOR_FAKE = "discriminator_fake", SECONDS = "seconds";

    private final Table table;

    public History() {
        table = Table.create("history", IntColumn.create(STEP), IntColumn.create(EPOCH),
                DoubleColumn.create(ENCODER_LOSS), DoubleColumn.create(RECONSTRUCTION), DoubleColumn.create(KL),
                DoubleColumn.create(GENERATOR), DoubleColumn.create(DISCRIMINATOR_REAL),
                DoubleColumn.create(DISCRIMINATOR_FAKE), DoubleColumn.create(SECONDS));
    }

    private History(Table t) { this.table = t; }

    /** Appends one step (1-based step number). */
    public void add(long step, int epoch, FaModel.StepLosses l, double seconds) {
        table.intColumn(STEP).append(Math.toIntExact(step));
        table.intColumn(EPOCH).append(epoch);
        append(ENCODER_LOSS, l.encoderLoss());
        append(RECONSTRUCTION, l.reconstructionLoss());
        append(KL, l.klWeighted());
        append(GENERATOR, l.generatorLoss());
        append(DISCRIMINATOR_REAL, l.discriminatorReal());
        append(DISCRIMINATOR_FAKE, l.discriminatorFake());
        append(SECONDS, seconds);
    }

    private void append(String column, double v) {
        if (Double.isNaN(v)) table.doubleColumn(column).appendMissing(); else table.doubleColumn(column).append(v);
    }

    /** The table itself (live). */
    public Table table() { return table; }

    public int size() { return table.rowCount(); }

    /** The CSV text of the table. */
    public String toCsv() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        table.write().csv(CsvWriteOptions.builder(new OutputStreamWriter(b, StandardCharsets.UTF_8)).build());
        return b.toString(StandardCharsets.UTF_8);
    }

    /** Writes the CSV atomically. */
    public void saveCsv(Path file) throws IOException {
        byte[] bytes = toCsv().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    /** Reads a history written by {@link #toCsv()}; {@code source} names it in errors. */
    public static History fromCsv(String csv, String source) {
        History h = new History();
        if (csv.isBlank()) return h;
        try {
            Table t = Table.read().usingOptions(CsvReadOptions.builder(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)))
                    .columnTypes(h.table.typeArray()).tableName("history"));
            if (!t.columnNames().equals(h.table.columnNames())) {
                throw new IllegalArgumentException(source + ": history columns " + t.columnNames() + ", expected " + h.table.columnNames());
            }
            return new History(t);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": cannot read history CSV: " + e.getMessage(), e);
        }
    }
}
