package featurealign.viz;

import featurealign.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * XChart charts of training histories (Tablesaw tables) and of comparisons, as {@link BufferedImage}s for notebooks
 * or as PNG files. Works headless ({@code -Djava.awt.headless=true}).
 */
public final class Charts {

    /**
     * Presentation of a {@link #lossChart}: every field has a default in {@link #defaults()}; change one with the
     * {@code with...} methods.
     *
     * @param title           chart title; null means the table's name, or "Training history" if it has none
     * @param xLabel          x-axis title; null means the x column's name
     * @param yLabel          y-axis title; null means the y column's name for one series, "value" for several
     * @param logY            logarithmic y axis (every plotted value must then be > 0)
     * @param smoothingWindow trailing moving mean over this many points; 1 plots the raw values
     * @param width           picture width in pixels
     * @param height          picture height in pixels
     */
    public record LossChartOptions(String title, String xLabel, String yLabel, boolean logY, int smoothingWindow,
                                   int width, int height) {

        public LossChartOptions {
            if (smoothingWindow < 1) {
                throw new IllegalArgumentException("smoothingWindow must be >= 1 points, got " + smoothingWindow);
            }
            if (width < 50 || height < 50) {
                throw new IllegalArgumentException("chart size must be at least 50x50 pixels, got " + width + "x"
                        + height);
            }
        }

        /** Derived titles, linear y axis, no smoothing, 800×450 pixels. */
        public static LossChartOptions defaults() {
            return new LossChartOptions(null, null, null, false, 1, 800, 450);
        }

        // The with... methods return a copy with one field changed (records are immutable).

        public LossChartOptions withTitle(String newTitle) {
            return new LossChartOptions(newTitle, xLabel, yLabel, logY, smoothingWindow, width, height);
        }

        public LossChartOptions withXLabel(String newXLabel) {
            return new LossChartOptions(title, newXLabel, yLabel, logY, smoothingWindow, width, height);
        }

        public LossChartOptions withYLabel(String newYLabel) {
            return new LossChartOptions(title, xLabel, newYLabel, logY, smoothingWindow, width, height);
        }

        public LossChartOptions withLogY(boolean newLogY) {
            return new LossChartOptions(title, xLabel, yLabel, newLogY, smoothingWindow, width, height);
        }

        public LossChartOptions withSmoothing(int window) {
            return new LossChartOptions(title, xLabel, yLabel, logY, window, width, height);
        }

        public LossChartOptions withSize(int newWidth, int newHeight) {
            return new LossChartOptions(title, xLabel, yLabel, logY, smoothingWindow, newWidth, newHeight);
        }
    }

    private Charts() {
    }

    /** {@link #lossChart(Table, LossChartOptions, String, String...)} with {@link LossChartOptions#defaults()}. */
    public static XYChart lossChart(Table history, String xColumn, String... yColumns) {
        return lossChart(history, LossChartOptions.defaults(), xColumn, yColumns);
    }

    /**
     * One line per y column against the x column (e.g. loss and KL against step). Rows where either value is
     * missing are left out of that line, so sparse columns (metrics logged every k steps) plot correctly. With
     * smoothing, each line is the trailing mean of its last {@code smoothingWindow} points and its legend says so.
     *
     * @param history  a table with numeric columns
     * @param options  titles, log axis, smoothing, size
     * @param xColumn  the numeric x column
     * @param yColumns one or more numeric columns
     * @throws IllegalArgumentException naming the column for a missing or non-numeric column, a column with no
     *                                  values, or a value ≤ 0 on a log axis
     */
    public static XYChart lossChart(Table history, LossChartOptions options, String xColumn, String... yColumns) {
        Objects.requireNonNull(history, "history");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(xColumn, "xColumn");
        if (yColumns == null || yColumns.length == 0) {
            throw new IllegalArgumentException("lossChart needs at least one y column; available columns: "
                    + history.columnNames());
        }
        NumericColumn<?> x = numericColumn(history, xColumn);
        String title = options.title() != null ? options.title()
                : (history.name() == null || history.name().isBlank() ? "Training history" : history.name());
        String yLabel = options.yLabel() != null ? options.yLabel() : (yColumns.length == 1 ? yColumns[0] : "value");
        XYChart chart = new XYChartBuilder().width(options.width()).height(options.height()).title(title)
                .xAxisTitle(options.xLabel() != null ? options.xLabel() : xColumn).yAxisTitle(yLabel).build();
        chart.getStyler().setYAxisLogarithmic(options.logY());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setLegendVisible(yColumns.length > 1 || options.smoothingWindow() > 1);
        chart.getStyler().setAntiAlias(true);

        for (String yColumn : yColumns) {
            NumericColumn<?> y = numericColumn(history, yColumn);
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (int row = 0; row < history.rowCount(); row++) {
                if (!x.isMissing(row) && !y.isMissing(row)) {
                    double xv = x.getDouble(row);
                    double yv = y.getDouble(row);
                    if (Double.isFinite(xv) && Double.isFinite(yv)) {
                        if (options.logY() && yv <= 0) {
                            throw new IllegalArgumentException("column '" + yColumn + "' has value " + yv
                                    + " at row " + row + "; a logarithmic y axis needs values > 0");
                        }
                        xs.add(xv);
                        ys.add(yv);
                    }
                }
            }
            if (ys.isEmpty()) {
                throw new IllegalArgumentException("column '" + yColumn + "' has no finite values to plot against '"
                        + xColumn + "'");
            }
            double[] yValues = ys.stream().mapToDouble(Double::doubleValue).toArray();
            String seriesName = yColumn;
            if (options.smoothingWindow() > 1) {
                yValues = movingAverage(yValues, options.smoothingWindow());
                seriesName = yColumn + " (mean of " + options.smoothingWindow() + ")";
            }
            XYSeries series = chart.addSeries(seriesName, xs.stream().mapToDouble(Double::doubleValue).toArray(),
                    yValues);
            series.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /**
     * Several named curves on one chart, e.g. held-out PSNR against training minutes for each variant of a study:
     * markers at the points, joined by lines, in the map's iteration order.
     *
     * @param series name → {xs, ys} (equal lengths, at least one point each)
     */
    public static XYChart curves(String title, String xLabel, String yLabel, Map<String, double[][]> series, int width,
                                 int height) {
        return curves(title, xLabel, yLabel, series, width, height, Double.NaN, Double.NaN);
    }

    /** {@link #curves(String, String, String, Map, int, int)} with a fixed y range (NaN keeps that end automatic). */
    public static XYChart curves(String title, String xLabel, String yLabel, Map<String, double[][]> series, int width,
                                 int height, double yMin, double yMax) {
        Objects.requireNonNull(series, "series");
        if (series.isEmpty()) throw new IllegalArgumentException("curves needs at least one series");
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title == null ? "" : title)
                .xAxisTitle(xLabel == null ? "" : xLabel).yAxisTitle(yLabel == null ? "" : yLabel).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setAntiAlias(true);
        chart.getStyler().setMarkerSize(5);
        chart.getStyler().setXAxisMin(0.0);
        if (!Double.isNaN(yMin)) chart.getStyler().setYAxisMin(yMin);
        if (!Double.isNaN(yMax)) chart.getStyler().setYAxisMax(yMax);
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[][] xy = e.getValue();
            if (xy == null || xy.length != 2 || xy[0].length != xy[1].length || xy[0].length == 0) {
                throw new IllegalArgumentException("series '" + e.getKey() + "' needs {xs, ys} of one equal, non-zero length");
            }
            chart.addSeries(e.getKey(), xy[0], xy[1]);
        }
        return chart;
    }

    /**
     * A grouped bar chart, e.g. peak memory of local versus end-to-end training per data set.
     *
     * @param title      chart title
     * @param categories the groups along the x axis
     * @param series     one bar per category for each entry, in the map's iteration order (use a LinkedHashMap);
     *                   each array has one value per category
     * @param yLabel     y-axis title, with units
     */
    public static CategoryChart barChart(String title, List<String> categories, Map<String, double[]> series,
                                         String yLabel) {
        Objects.requireNonNull(categories, "categories");
        Objects.requireNonNull(series, "series");
        if (categories.isEmpty() || series.isEmpty()) {
            throw new IllegalArgumentException("barChart needs at least one category and one series; got "
                    + categories.size() + " categories and " + series.size() + " series");
        }
        CategoryChart chart = new CategoryChartBuilder().width(800).height(450).title(title == null ? "" : title)
                .yAxisTitle(yLabel == null ? "" : yLabel).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setLegendVisible(series.size() > 1);
        chart.getStyler().setAntiAlias(true);
        for (Map.Entry<String, double[]> entry : series.entrySet()) {
            double[] values = entry.getValue();
            if (values == null || values.length != categories.size()) {
                throw new IllegalArgumentException("series '" + entry.getKey() + "' has "
                        + (values == null ? "no values" : values.length + " values") + " but there are "
                        + categories.size() + " categories " + categories);
            }
            chart.addSeries(entry.getKey(), new ArrayList<>(categories),
                    Arrays.stream(values).boxed().toList());
        }
        return chart;
    }

    /** Renders a chart (at its own width and height) to an image, e.g. for {@code display(...)} in a notebook. */
    public static BufferedImage toImage(Chart<?, ?> chart) {
        return BitmapEncoder.getBufferedImage(Objects.requireNonNull(chart, "chart"));
    }

    /** Writes a chart as PNG, atomically (temporary file in the same directory, then rename). */
    public static void savePng(Chart<?, ?> chart, Path file) throws IOException {
        Objects.requireNonNull(chart, "chart");
        Objects.requireNonNull(file, "file");
        AtomicFiles.write(file, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /**
     * Trailing moving mean: element i is the mean of {@code values[max(0, i−window+1) .. i]}, so the start is
     * averaged over fewer points instead of being dropped.
     */
    static double[] movingAverage(double[] values, int window) {
        double[] smoothed = new double[values.length];
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += values[i];
            if (i >= window) {
                sum -= values[i - window];
            }
            smoothed[i] = sum / Math.min(i + 1, window);
        }
        return smoothed;
    }

    private static NumericColumn<?> numericColumn(Table table, String name) {
        if (!table.containsColumn(name)) {
            throw new IllegalArgumentException("table '" + table.name() + "' has no column '" + name
                    + "'; available columns: " + table.columnNames());
        }
        Column<?> column = table.column(name);
        if (!(column instanceof NumericColumn<?> numeric)) {
            throw new IllegalArgumentException("column '" + name + "' of table '" + table.name()
                    + "' must be numeric but is " + column.type());
        }
        return numeric;
    }
}
