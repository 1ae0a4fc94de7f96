package featurealign.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class MetricsTableTest {

    @Test
    void csvRoundTripKeepsEveryCellIncludingCommasQuotesUnicodeAndNaN(@TempDir Path dir) throws IOException {
        MetricsTable t = new MetricsTable("results")
                .add("reconstruction MSE", 0.05123456789012345, "per pixel", "1,000 test images, z = μ + σ·ε")
                .add("judge accuracy", 0.9852, "fraction", "a \"quoted\" note")
                .add("peak memory", 1.5e9, "bytes", "")
                .add("not measured", Double.NaN, "", "skipped");
        Path file = dir.resolve("sub/metrics.csv");
        t.saveCsv(file);
        MetricsTable back = MetricsTable.readCsv(file);
        assertEquals(4, back.size());
        var a = t.table();
        var b = back.table();
        for (int i = 0; i < 4; i++) {
            assertEquals(a.stringColumn("metric").get(i), b.stringColumn("metric").get(i));
            assertEquals(a.doubleColumn("value").getDouble(i), b.doubleColumn("value").getDouble(i), 0.0, "row " + i);
            assertEquals(a.stringColumn("unit").get(i), b.stringColumn("unit").get(i));
            assertEquals(a.stringColumn("note").get(i), b.stringColumn("note").get(i));
        }
        assertTrue(Double.isNaN(back.value("not measured")));
        assertEquals(0.05123456789012345, back.value("reconstruction MSE"), 0.0);
        try (var files = Files.list(file.getParent())) {
            assertEquals(1, files.count(), "no temporary file may be left beside the CSV");
        }
    }

    @Test
    void prettyPrintShowsTitleColumnsAndRows() {
        String s = new MetricsTable("MNIST judge").add("test accuracy", 0.985, "fraction", "10,000 images").toString();
        assertTrue(s.contains("MNIST judge"), s);
        for (String c : MetricsTable.COLUMNS) assertTrue(s.contains(c), s);
        assertTrue(s.contains("test accuracy") && s.contains("0.985") && s.contains("10,000 images"), s);
    }

    @Test
    void addFrechetPutsTheFloorOnTheNextRow() {
        MetricsTable t = new MetricsTable("fd").addFrechet("Fréchet (samples)",
                new SampleQuality.Comparison(12.5, 1.25, 1000), "z ~ N(0,I)");
        assertEquals(2, t.size());
        assertEquals(12.5, t.value("Fréchet (samples)"));
        assertEquals(1.25, t.value("Fréchet (samples) (real-vs-real floor)"));
    }

    @Test
    void readingAForeignCsvNamesTheFileAndTheExpectedHeader(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("other.csv");
        Files.writeString(file, "a,b\n1,2\n");
        IOException e = assertThrows(IOException.class, () -> MetricsTable.readCsv(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("metric,value,unit,note"),
                e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> MetricsTable.readCsv(dir.resolve("none.csv")));
        assertTrue(missing.getMessage().contains("none.csv"), missing.getMessage());
    }

    @Test
    void blankMetricNameIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MetricsTable("t").add(" ", 1, "", ""));
    }
}
