package featurealign.bench;

import featurealign.io.AtomicFiles;
import featurealign.viz.Charts;
import featurealign.viz.ImageGrid;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Summarises {@code bench/compare}'s JSON lines (one per process: impl, step, times_ms, peak_rss_mb): per step type
 * and implementation the median over all timed iterations of all rounds, the kit/PyTorch ratio, the largest peak RSS
 * and the kit's first-step overhead (median and largest over its processes), and the threads and BLAS each side
 * reported (lines of older runs may lack them: empty); prints a table and writes {@code steps.csv} and
 * {@code steps.png} into the output folder.
 */
public final class BenchReport {

    public static void main(String[] args) throws Exception {
        Path raw = Path.of(args[0]), out = Path.of(args[1]);
        Pattern impl = Pattern.compile("\"impl\"\\s*:\\s*\"([^\"]+)\""), step = Pattern.compile("\"step\"\\s*:\\s*\"([^\"]+)\""),
                times = Pattern.compile("\"times_ms\"\\s*:\\s*\\[([^\\]]*)\\]"), rss = Pattern.compile("\"peak_rss_mb\"\\s*:\\s*([0-9.]+)"),
                first = Pattern.compile("\"first_step_overhead_ms\"\\s*:\\s*([0-9.]+)"),
                threads = Pattern.compile("\"threads\"\\s*:\\s*([0-9]+)"), blas = Pattern.compile("\"blas\"\\s*:\\s*\"([^\"]*)\"");
        Map<String, List<Double>> all = new TreeMap<>();
        Map<String, Double> peak = new TreeMap<>();
        Map<String, List<Double>> overhead = new TreeMap<>();
        Map<String, Integer> processes = new TreeMap<>();
        Map<String, Set<String>> threadCounts = new TreeMap<>(), blasNames = new TreeMap<>();
        for (String line : Files.readAllLines(raw)) {
            Matcher i = impl.matcher(line), s = step.matcher(line), t = times.matcher(line), r = rss.matcher(line);
            if (!(i.find() && s.find() && t.find() && r.find())) throw new IllegalArgumentException(raw + ": unreadable line " + line);
            String key = s.group(1) + "|" + i.group(1);
            for (String v : t.group(1).split(",")) if (!v.isBlank()) all.computeIfAbsent(key, k -> new ArrayList<>()).add(Double.parseDouble(v.trim()));
            peak.merge(key, Double.parseDouble(r.group(1)), Math::max);
            processes.merge(key, 1, Integer::sum);
            Matcher f = first.matcher(line);
            if (f.find()) overhead.computeIfAbsent(key, k -> new ArrayList<>()).add(Double.parseDouble(f.group(1)));
            Matcher th = threads.matcher(line), bl = blas.matcher(line);
            Set<String> ts = threadCounts.computeIfAbsent(key, k -> new TreeSet<>()), bs = blasNames.computeIfAbsent(key, k -> new TreeSet<>());
            if (th.find()) ts.add(th.group(1));
            if (bl.find()) bs.add(bl.group(1));
        }
        StringBuilder csv = new StringBuilder("step,impl,processes,iterations,median_ms,min_ms,peak_rss_mb,first_step_overhead_median_ms,first_step_overhead_max_ms,threads,blas\n");
        Set<String> steps = new TreeSet<>();
        for (String k : all.keySet()) steps.add(k.split("\\|")[0]);
        System.out.printf("%-12s %10s %10s %8s %12s%n", "step", "kit ms", "torch ms", "ratio", "RSS kit/torch MB");
        List<String> cats = new ArrayList<>();
        double[] kitMs = new double[steps.size()], torchMs = new double[steps.size()];
        int j = 0;
        for (String st : steps) {
            double k = median(all.get(st + "|kit")), p = median(all.get(st + "|pytorch"));
            for (String im : List.of("kit", "pytorch")) {
                List<Double> v = all.get(st + "|" + im);
                if (v == null) continue;
                List<Double> o = overhead.get(st + "|" + im);
                csv.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.1f,%.0f,%s,%s,%s,%s%n", st, im, processes.get(st + "|" + im), v.size(),
                        median(v), Collections.min(v), peak.get(st + "|" + im),
                        o == null ? "" : String.format(Locale.ROOT, "%.0f", median(o)),
                        o == null ? "" : String.format(Locale.ROOT, "%.0f", Collections.max(o)),
                        String.join("/", threadCounts.get(st + "|" + im)), csvField(String.join(" / ", blasNames.get(st + "|" + im)))));
            }
            System.out.printf(Locale.ROOT, "%-12s %10.1f %10.1f %8.2f %6.0f/%-6.0f%n", st, k, p, k / p,
                    peak.getOrDefault(st + "|kit", Double.NaN), peak.getOrDefault(st + "|pytorch", Double.NaN));
            cats.add(st);
            kitMs[j] = k;
            torchMs[j++] = p;
        }
        byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve("steps.csv"), o -> o.write(bytes));
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("kit (SameDiff, oneDNN)", kitMs);
        series.put("PyTorch (authors' formulation)", torchMs);
        ImageGrid.savePng(Charts.toImage(Charts.barChart("Median time per step, batch 128, 2 cores", cats, series, "ms")),
                out.resolve("steps.png"));
        System.out.println("wrote " + out.resolve("steps.csv") + " and " + out.resolve("steps.png"));
    }

    /** A CSV field, quoted when it holds a comma or quote. */
    static String csvField(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    static double median(List<Double> v) {
        if (v == null || v.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
