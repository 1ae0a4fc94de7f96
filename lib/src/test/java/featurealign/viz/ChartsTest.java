package featurealign.viz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

import javax.imageio.ImageIO;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ChartsTest {

    @TempDir
    Path dir;

    /** 6 steps of loss; 'fid' only every third step, missing elsewhere. */
    private static Table history() {
        Double nan = Double.NaN;
        return Table.create("FA-VAE MNIST",
                IntColumn.create("step", 0, 1, 2, 3, 4, 5),
                DoubleColumn.create("loss", 8, 4, 2, 1, 0.5, 0.25),
                DoubleColumn.create("fid", 30.0, nan, nan, 12.0, nan, nan),
                StringColumn.create("phase", "a", "a", "a", "b", "b", "b"));
    }

    private static double[] doubles(XYSeries series, boolean x) {
        return x ? series.getXData() : series.getYData();
    }

    @Test
    void plotsOneLinePerColumnAndSkipsMissingRows() {
        XYChart chart = Charts.lossChart(history(), "step", "loss", "fid");
        assertEquals("FA-VAE MNIST", chart.getTitle());
        assertEquals("step", chart.getXAxisTitle());
        assertEquals("value", chart.getYAxisTitle());
        XYSeries loss = chart.getSeries("loss");
        assertArrayEquals(new double[]{0, 1, 2, 3, 4, 5}, doubles(loss, true));
        assertArrayEquals(new double[]{8, 4, 2, 1, 0.5, 0.25}, doubles(loss, false));
        XYSeries fid = chart.getSeries("fid");
        assertArrayEquals(new double[]{0, 3}, doubles(fid, true));
        assertArrayEquals(new double[]{30, 12}, doubles(fid, false));
        assertEquals("loss", Charts.lossChart(history(), "step", "loss").getYAxisTitle());
    }

    @Test
    void smoothsWithATrailingMovingMean() {
        assertArrayEquals(new double[]{8, 6, 14 / 3.0, 7 / 3.0, 3.5 / 3, 1.75 / 3},
                Charts.movingAverage(new double[]{8, 4, 2, 1, 0.5, 0.25}, 3), 1e-12);
        assertArrayEquals(new double[]{1, 2}, Charts.movingAverage(new double[]{1, 2}, 1), 0);
        XYChart chart = Charts.lossChart(history(), Charts.LossChartOptions.defaults().withSmoothing(2)
                .withLogY(true).withTitle("smoothed").withYLabel("nats"), "step", "loss");
        XYSeries series = chart.getSeries("loss (mean of 2)");
        assertNotNull(series, "series names: " + chart.getSeriesCollection().stream().map(s -> s.getName()).toList());
        assertArrayEquals(new double[]{8, 6, 3, 1.5, 0.75, 0.375}, series.getYData(), 1e-12);
        assertTrue(chart.getStyler().isYAxisLogarithmic());
        assertEquals("smoothed", chart.getTitle());
        assertEquals("nats", chart.getYAxisTitle());
    }

    @Test
    void rejectsBadColumnsWithClearMessages() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Charts.lossChart(history(), "step", "kl"));
        assertTrue(missing.getMessage().contains("'kl'") && missing.getMessage().contains("[step, loss, fid, phase]"),
                missing.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> Charts.lossChart(history(), "step", "phase"));
        assertTrue(text.getMessage().contains("'phase'") && text.getMessage().contains("numeric"), text.getMessage());
        Table withZero = history();
        withZero.doubleColumn("loss").set(4, 0.0);
        IllegalArgumentException log = assertThrows(IllegalArgumentException.class,
                () -> Charts.lossChart(withZero, Charts.LossChartOptions.defaults().withLogY(true), "step", "loss"));
        assertTrue(log.getMessage().contains("row 4"), log.getMessage());
        Table empty = Table.create("empty", IntColumn.create("step", 1), DoubleColumn.create("loss", Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Charts.lossChart(empty, "step", "loss"));
        assertThrows(IllegalArgumentException.class, () -> Charts.lossChart(history(), "step"));
        assertThrows(IllegalArgumentException.class, () -> Charts.LossChartOptions.defaults().withSmoothing(0));
    }

    @Test
    void rendersHeadlessToAnImageAndAPng() throws IOException {
        assertTrue(GraphicsEnvironment.isHeadless(), "surefire runs with -Djava.awt.headless=true");
        XYChart chart = Charts.lossChart(history(), Charts.LossChartOptions.defaults().withSize(400, 300),
                "step", "loss", "fid");
        BufferedImage image = Charts.toImage(chart);
        assertEquals(400, image.getWidth());
        assertEquals(300, image.getHeight());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 10, "a drawn chart has lines, text and background: " + colours.size());

        Path file = dir.resolve("charts/loss.png");
        Charts.savePng(chart, file);
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(400, back.getWidth());
        try (var listing = Files.list(file.getParent())) {
            assertEquals(List.of(file), listing.toList(), "no temporary files left behind");
        }
    }

    @Test
    void barChartGroupsSeriesByCategory() throws IOException {
        Map<String, double[]> memory = new LinkedHashMap<>();
        memory.put("end-to-end", new double[]{1.1, 2.4});
        memory.put("local", new double[]{0.6, 1.0});
        CategoryChart chart = Charts.barChart("Peak memory", List.of("MNIST", "CIFAR-10"), memory, "GB");
        assertEquals(List.of("end-to-end", "local"), chart.getSeriesCollection().stream().map(s -> s.getName()).toList());
        assertEquals("GB", chart.getYAxisTitle());
        Charts.savePng(chart, dir.resolve("bars.png"));
        assertEquals(800, ImageIO.read(dir.resolve("bars.png").toFile()).getWidth());

        memory.put("broken", new double[]{1});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Charts.barChart("x", List.of("MNIST", "CIFAR-10"), memory, "GB"));
        assertTrue(e.getMessage().contains("'broken'") && e.getMessage().contains("2 categories"), e.getMessage());
    }
}
