package featurealign.train;

import featurealign.io.AtomicFiles;
import tech.tablesaw.api.ColumnType;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every training step's losses and wall time, as a Tablesaw table (one row per step). Loss columns are the paper's
 * sums over the batch; the GAN columns are empty (missing) for encoder-only steps. The held-out columns
 * ({@link #HELD_OUT}) hold the evaluation made after a step (every {@code evalEvery} steps) and are empty elsewhere;
 * {@code seconds} is training time only, so their running sum is the x axis of quality-per-second curves.
 */
public final class History {
    public static final String STEP = "step", EPOCH = "epoch", ENCODER_LOSS = "encoder_loss",
            RECONSTRUCTION = "reconstruction_loss", KL = "kl_weighted", GENERATOR = "generator_loss",
            DISCRIMINATOR_REAL = "discriminator_real", DISCRIMINATOR_FAKE = "discriminator_fake", SECONDS = "seconds";

    /** Held-out reconstruction MSE per pixel (z = μ + σ·ε, true conditioning) and its PSNR in dB. */
    public static final String TEST_MSE = "test_mse", TEST_PSNR = "test_psnr";
    /** Judge accuracy (fraction) on reconstructions (true labels) and on FA-only and GAN samples (requested labels). */
    public static final String TEST_JUDGE_RECONSTRUCTIONS = "test_judge_rec", TEST_JUDGE_FA = "test_judge_fa",
            TEST_JUDGE_GAN = "test_judge_gan";
    /** Spread of FA-only / GAN samples: mean per-pixel standard deviation over the samples, over that of real images. */
    public static final String TEST_SPREAD_FA = "test_spread_fa", TEST_SPREAD_GAN = "test_spread_gan";
    /** Held-out columns in table order. */
    public static final List<String> HELD_OUT = List.of(TEST_MSE, TEST_PSNR, TEST_JUDGE_RECONSTRUCTIONS, TEST_JUDGE_FA,
            TEST_JUDGE_GAN, TEST_SPREAD_FA, TEST_SPREAD_GAN);

    private final Table table;

    public History() {
        table = Table.create("history", IntColumn.create(STEP), IntColumn.create(EPOCH),
                DoubleColumn.create(ENCODER_LOSS), DoubleColumn.create(RECONSTRUCTION), DoubleColumn.create(KL),
                DoubleColumn.create(GENERATOR), DoubleColumn.create(DISCRIMINATOR_REAL),
                DoubleColumn.create(DISCRIMINATOR_FAKE), DoubleColumn.create(SECONDS));
        for (String c : HELD_OUT) table.addColumns(DoubleColumn.create(c));
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
        for (String c : HELD_OUT) table.doubleColumn(c).appendMissing();
    }

    /**
     * Records a held-out evaluation made after the last step added (keys from {@link #HELD_OUT}; NaN values stay
     * missing).
     */
    public void addEvaluation(long step, Map<String, Double> values) {
        int row = table.rowCount() - 1;
        if (row < 0 || table.intColumn(STEP).getInt(row) != step) {
            throw new IllegalStateException("evaluation of step " + step + " but the last step recorded is "
                    + (row < 0 ? "none" : table.intColumn(STEP).getInt(row)));
        }
        for (var e : values.entrySet()) {
            if (!HELD_OUT.contains(e.getKey())) {
                throw new IllegalArgumentException("unknown held-out column '" + e.getKey() + "', expected one of " + HELD_OUT);
            }
            if (!Double.isNaN(e.getValue())) table.doubleColumn(e.getKey()).set(row, e.getValue());
        }
    }

    /** The rows that hold a held-out evaluation (any {@link #HELD_OUT} value), in step order. */
    public Table evaluations() {
        tech.tablesaw.selection.Selection any = table.doubleColumn(TEST_MSE).isNotMissing();
        for (String c : HELD_OUT) any = any.or(table.doubleColumn(c).isNotMissing());
        return table.where(any);
    }

    /** Column of {@link #evaluationsWithTime()}: training minutes up to the evaluated step. */
    public static final String TRAINING_MINUTES = "training_minutes";

    /** {@link #evaluations()} with a {@link #TRAINING_MINUTES} column: the x axis of quality-per-time curves. */
    public Table evaluationsWithTime() {
        DoubleColumn seconds = trainingSeconds(table);
        Table t = table.copy();
        t.addColumns(seconds.divide(60.0).setName(TRAINING_MINUTES));
        tech.tablesaw.selection.Selection any = t.doubleColumn(TEST_MSE).isNotMissing();
        for (String c : HELD_OUT) any = any.or(t.doubleColumn(c).isNotMissing());
        return t.where(any);
    }

    /** Training seconds up to and including each row (the running sum of {@code seconds}). */
    public static DoubleColumn trainingSeconds(Table history) {
        DoubleColumn s = history.doubleColumn(SECONDS);
        DoubleColumn sum = DoubleColumn.create("training_seconds");
        double total = 0;
        for (int i = 0; i < s.size(); i++) {
            if (!s.isMissing(i)) total += s.getDouble(i);
            sum.append(total);
        }
        return sum;
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
            // Histories written before the held-out columns existed have only the step columns; they gain empty ones.
            String header = csv.lines().findFirst().orElse("");
            int columns = header.isBlank() ? 0 : header.split(",", -1).length;
            boolean withHeldOut = columns == h.table.columnCount();
            ColumnType[] types = withHeldOut ? h.table.typeArray()
                    : Arrays.copyOf(h.table.typeArray(), h.table.columnCount() - HELD_OUT.size());
            Table t = Table.read().usingOptions(CsvReadOptions.builder(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)))
                    .columnTypes(types).tableName("history"));
            List<String> expected = h.table.columnNames().subList(0, types.length);
            if (!t.columnNames().equals(expected)) {
                throw new IllegalArgumentException(source + ": history columns " + t.columnNames() + ", expected " + h.table.columnNames());
            }
            if (!withHeldOut) {
                for (String c : HELD_OUT) {
                    DoubleColumn empty = DoubleColumn.create(c);
                    for (int i = 0; i < t.rowCount(); i++) empty.appendMissing();
                    t.addColumns(empty);
                }
            }
            return new History(t);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": cannot read history CSV: " + e.getMessage(), e);
        }
    }
}
