package featurealign.cli;

import featurealign.data.FetchData;
import featurealign.experiment.Experiment;
import featurealign.io.Npy;
import featurealign.train.Conditioning;
import featurealign.train.Noise;
import featurealign.train.RunConfig;
import featurealign.train.TrainingDivergedException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.*;

/**
 * The kit's command line: {@code train}, {@code sample}, {@code evaluate}, {@code export}, {@code study}, {@code seeds},
 * {@code fetch}. It calls exactly what the notebooks call ({@link Experiment}) and prints the same progress lines.
 */
public final class Main {

    static final String USAGE = """
            Usage: featurealign <command> [options]

            Commands:
              train     train an FA-VAE-GAN run, then write its figures and metrics under --out
              sample    draw FA-only and GAN-refined samples from a trained run
              evaluate  compute the metrics table of a trained run
              export    write samples or reconstructions as .npy float32 [N,C,H,W]
              study     held-out quality against training time for the reference settings and named departures
              judge     train (or load) the data set's judge and print its own accuracy on real and blurred images
              seeds     train a profile for several seeds and write mean ± sd of every metric (seeds.csv)
              fetch     find, verify or download data sets (see 'featurealign fetch --help')

            Run 'featurealign <command> --help' for the options of a command.
            """;

    static final String COMMON = """
              --dataset NAME    mnist (default), fashion-mnist, cifar10 or celeba
              --profile NAME    smoke, cpu (default; or $FA_PROFILE) or paper
              --out DIR         run folder (default results/<dataset> for cpu, results/<profile>/<dataset> otherwise,
                                or under $FA_RESULTS_DIR); holds checkpoint.zip, figures, CSVs
              --set KEY=VALUE   override one setting of the profile (repeatable), e.g. --set steps=2000,
                                --set alignment.steps=2; 'featurealign train --settings' lists the keys
            """;

    public static void main(String[] args) {
        int code;
        try {
            code = run(args, System.out, System.err);
        } catch (TrainingDivergedException e) {
            System.err.println("training stopped: " + e.getMessage());
            System.err.println("the last checkpoint written before this step is intact");
            code = 3;
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("error: " + e.getMessage());
            code = 2;
        } catch (Exception e) {
            System.err.println(errorLine(e));
            code = 1;
        }
        System.exit(code);
    }

    /**
     * The line printed for an unexpected exception: its message, which in the kit names the file and the problem; the
     * exception's class only when it has no message (a NullPointerException, say).
     */
    static String errorLine(Exception e) {
        String m = e.getMessage();
        return "error: " + (m == null || m.isBlank() ? e : m);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        List<String> rest = List.of(args).subList(1, args.length);
        if (command.equals("fetch")) {
            FetchData.main(rest.toArray(String[]::new));
            return 0;
        }
        Options o = Options.parse(command, rest);
        if (o.help) {
            out.print(help(command));
            return 0;
        }
        if (o.listSettings) {
            RunConfig c = o.config();
            new TreeMap<>(c.toProperties()).forEach((k, v) -> out.println(k + " = " + v));
            return 0;
        }
        switch (command) {
            case "train" -> {
                RunConfig c = o.config();
                Experiment e = Experiment.open(c, o.out(), Experiment.load(c), o.branch);
                out.println(e.describe());
                long t0 = System.nanoTime();
                e.train(out, 40);
                out.printf("trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
                writeFigures(e, out);
                if (!o.noMetrics) Evaluation.write(e, out);
            }
            case "sample" -> {
                Experiment e = Experiment.open(o.config(), o.out());
                requireTrained(e);
                e.samples(o.n);
                if (e.model().hasGan()) e.refinedSamples(o.n);
                e.classRows(10);
                out.println("wrote samples_fa.png" + (e.model().hasGan() ? ", samples_gan.png" : "") + ", class_rows.png in " + o.out());
            }
            case "evaluate" -> {
                Experiment e = Experiment.open(o.config(), o.out());
                requireTrained(e);
                Evaluation.write(e, out);
            }
            case "export" -> {
                Experiment e = Experiment.open(o.config(), o.out());
                requireTrained(e);
                INDArray a = switch (o.what) {
                    case "samples" -> e.sampleImages(o.n).featureAlignment();
                    case "refined" -> {
                        INDArray r = e.sampleImages(o.n).refined();
                        if (r == null) throw new IllegalStateException("this run has no generator");
                        yield r;
                    }
                    case "reconstructions" -> {
                        int n = Math.min(o.n, e.testSet().size());
                        int[] idx = new int[n];
                        for (int i = 0; i < n; i++) idx[i] = i;
                        INDArray x = e.testSet().toNCHW(idx, e.config().dataType());
                        yield e.model().reconstruct(x, Conditioning.of(e.config().architecture(), e.testSet(), idx,
                                e.config().dataType()), new Noise(e.config().seed() + 101));
                    }
                    default -> throw new IllegalArgumentException("--what must be samples, refined or reconstructions, got " + o.what);
                };
                Path file = o.file != null ? o.file : o.out().resolve(o.what + ".npy");
                Npy.write(a.castTo(DataType.FLOAT), file);
                out.println("wrote " + file + " " + Arrays.toString(a.shape()) + " float32");
            }
            case "seeds" -> {
                Path base = o.out();
                RunConfig c = o.config();
                var summary = featurealign.experiment.SeedStudy.run(c, o.seeds, base, Experiment.load(c), o.branch, out);
                out.println(summary.copy().removeColumns("note").printAll());
                out.println("wrote " + base.resolve(featurealign.experiment.SeedStudy.CSV) + " (runs in " + base.resolve("seeds") + ")");
            }
            case "study" -> {
                String profile = o.profile == null ? "cpu" : o.profile;
                Path dir = o.out != null ? o.out : featurealign.experiment.QualityStudy.outputDirFor(o.dataset, profile);
                var study = featurealign.experiment.QualityStudy.open(o.dataset, profile, dir);
                var design = o.longRuns ? study.longVariants() : study.variants();
                if (o.variants != null) {
                    List<String> names = design.stream().map(featurealign.experiment.QualityStudy.Variant::name).toList();
                    for (String v : o.variants) {
                        if (!names.contains(v)) throw new IllegalArgumentException("no variant '" + v + "' in the " + o.dataset + " study; variants: " + names);
                    }
                    design = design.stream().filter(v -> o.variants.contains(v.name())).toList();
                }
                var outcomes = study.runAll(design, out);
                if (o.longRuns) {
                    out.println(study.summary(outcomes, "long-runs.csv").printAll());
                    study.epochChart(outcomes);
                    out.println("wrote long-runs.csv and long-runs.png in " + dir);
                } else {
                    out.println(study.summary(outcomes).printAll());
                    study.chart(outcomes);
                    out.println("wrote summary.csv and study.png in " + dir);
                }
            }
            case "judge" -> {
                RunConfig c = o.config();
                Experiment.Data data = Experiment.load(c);
                long t0 = System.nanoTime();
                featurealign.eval.Judge judge = Experiment.judgeFor(c.dataset(), c.dataset(), data.train(), out);
                double seconds = (System.nanoTime() - t0) / 1e9;
                featurealign.eval.Judge.Scores scores = judge.score(data.test(), 2.0);
                out.println("judge: " + judge.summary());
                out.println("judge: " + scores);
                featurealign.eval.MetricsTable t = new featurealign.eval.MetricsTable(c.dataset() + " judge");
                boolean classes = judge.target() == featurealign.eval.Judge.Target.CLASSES;
                String what = classes ? "judge accuracy" : "judge attribute accuracy";
                t.add(what + ", real test images", scores.real(), "fraction", scores.images() + " test images");
                t.add(what + ", blurred test images", scores.blurred(), "fraction", scores.images()
                        + " test images blurred with Gaussian σ = " + scores.blurSigma() + " px");
                if (!classes) {
                    t.add("judge attribute accuracy, majority baseline", Experiment.attributeMajorityBaseline(data.train(), data.test()),
                            "fraction", "each attribute's most common training value");
                }
                t.add("judge training time", judge.summary().seconds(), "s", judge.summary().settings());
                t.add("judge train-or-load time", seconds, "s", "this call");
                java.nio.file.Files.createDirectories(o.out());
                t.saveCsv(o.out().resolve("judge.csv"));
                out.println(t);
                out.println("wrote " + o.out().resolve("judge.csv"));
            }
            default -> {
                err.print("unknown command '" + command + "'\n\n" + USAGE);
                return 2;
            }
        }
        return 0;
    }

    static void writeFigures(Experiment e, PrintStream out) throws Exception {
        e.dataPeek(25);
        e.lossChart();
        e.reconstructions(50);
        e.samples(100);
        if (e.model().hasGan()) e.refinedSamples(100);
        e.classRows(10);
        e.interpolation();
        if (e.trainer().history().evaluations().rowCount() > 0) {
            e.qualityChart();
            if (e.trainer().data().size() <= (long) e.config().batchSize() * e.trainer().step() / 2) e.qualityPerEpochChart();
        }
        out.println("figures: " + String.join(", ", e.figures().keySet()) + " in " + e.outputDir());
    }

    private static void requireTrained(Experiment e) {
        if (e.trainer().step() == 0) {
            throw new IllegalStateException("no trained run in " + e.outputDir() + " (no checkpoint.zip): run 'featurealign train' first");
        }
    }

    static String help(String command) {
        return switch (command) {
            case "train" -> "Usage: featurealign train [options]\n\nTrains (or continues) the run in --out, then writes"
                    + " figures and metrics there.\n\n" + COMMON + "  --no-metrics      skip the metrics (no judge training)\n"
                    + "  --branch FILE     start a new run from FILE, a checkpoint taken before the GAN phase (training keeps\n"
                    + "                    one as checkpoint-gan-start.zip) of a run with other GAN settings (gan.*, G's\n"
                    + "                    architecture, perceptualWeight): only the GAN phase trains\n"
                    + "  --settings        print every setting of the chosen profile and exit\n";
            case "sample" -> "Usage: featurealign sample [options]\n\nWrites samples_fa.png, samples_gan.png and class_rows.png"
                    + " from the trained run in --out, drawn from its sampling.prior (--set sampling.prior=CLASS_GAUSSIAN"
                    + " switches a finished run to class Gaussians fitted to its encoder; training is unchanged).\n\n" + COMMON + "  --n N             number of samples (default 100)\n";
            case "evaluate" -> "Usage: featurealign evaluate [options]\n\nWrites metrics.csv for the trained run in --out"
                    + " (trains the judge classifier on first use; it is cached).\n\n" + COMMON;
            case "export" -> "Usage: featurealign export [options]\n\nWrites images of the trained run as .npy float32"
                    + " [N,C,H,W] in [0,1].\n\n" + COMMON
                    + "  --what KIND       samples (FA only, default), refined (GAN) or reconstructions (of test images)\n"
                    + "  --n N             number of images (default 1000)\n"
                    + "  --file PATH       output file (default <out>/<what>.npy)\n";
            case "seeds" -> "Usage: featurealign seeds [options]\n\nTrains the profile for seeds s0..s0+N-1 (s0: the"
                    + " profile's seed, or --set seed=S), each in <out>/seeds/seed-<s>/ (a finished run there is reused),"
                    + " computes each run's metrics.csv, and writes <out>/seeds.csv: per metric the number of seeds, mean,"
                    + " sample sd, min, max and every seed's value. Fails, without writing seeds.csv, if any seed fails.\n\n"
                    + COMMON + "  --seeds N         number of seeds (default 3)\n"
                    + "  --branch DIR      start each seed that has no run yet from DIR/seeds/seed-<s>/checkpoint-gan-start.zip,\n"
                    + "                    the encoder phase of another study of these seeds: only the GAN phase trains\n";
            case "study" -> "Usage: featurealign study [options]\n\nRuns the quality study of a data set (see"
                    + " QualityStudy.design): one encoder-only run per variant, evaluated ten times, then summary.csv and"
                    + " study.png. Complete variants are not run again.\n\n"
                    + "  --dataset NAME    mnist (default), cifar10 or celeba\n"
                    + "  --profile NAME    smoke (a few steps per variant, to check it runs) or cpu (default: as designed)\n"
                    + "  --out DIR         study folder (default results/study/<dataset>)\n"
                    + "  --variants A,B    run only these variants\n"
                    + "  --long            the long runs instead: the authors' settings over many epochs (long-runs.csv,\n"
                    + "                    long-runs.png, curves per epoch)\n";
            case "judge" -> "Usage: featurealign judge [options]\n\nTrains the data set's judge on its training images (or"
                    + " loads the cached one), prints its accuracy on the real test images and on them blurred with σ = 2 px,"
                    + " and writes judge.csv in --out.\n\n" + COMMON;
            default -> "unknown command '" + command + "'\n\n" + USAGE;
        };
    }

    /** Parsed options of a command. */
    static final class Options {
        String dataset = "mnist", profile, what = "samples";
        Path out, file, branch;
        int n = -1, seeds = 3;
        List<String> variants;
        boolean help, noMetrics, listSettings, longRuns;
        final Map<String, String> overrides = new LinkedHashMap<>();

        static Options parse(String command, List<String> args) {
            Options o = new Options();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--help", "-h" -> o.help = true;
                    case "--no-metrics" -> o.noMetrics = true;
                    case "--settings" -> o.listSettings = true;
                    case "--long" -> o.longRuns = true;
                    case "--dataset" -> o.dataset = value(args, ++i, a);
                    case "--profile" -> o.profile = value(args, ++i, a);
                    case "--out" -> o.out = Path.of(value(args, ++i, a));
                    case "--file" -> o.file = Path.of(value(args, ++i, a));
                    case "--branch" -> o.branch = Path.of(value(args, ++i, a));
                    case "--what" -> o.what = value(args, ++i, a);
                    case "--variants" -> o.variants = List.of(value(args, ++i, a).split(","));
                    case "--n" -> {
                        String v = value(args, ++i, a);
                        try { o.n = Integer.parseInt(v); } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--n expects a whole number, got '" + v + "'");
                        }
                        if (o.n < 1) throw new IllegalArgumentException("--n must be >= 1, got " + o.n);
                    }
                    case "--seeds" -> {
                        String v = value(args, ++i, a);
                        try { o.seeds = Integer.parseInt(v); } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("--seeds expects a whole number, got '" + v + "'");
                        }
                        if (o.seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + o.seeds);
                    }
                    case "--set" -> {
                        String kv = value(args, ++i, a);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) throw new IllegalArgumentException("--set expects KEY=VALUE, got '" + kv + "'");
                        o.overrides.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "' for " + command
                            + " (see 'featurealign " + command + " --help')");
                }
            }
            if (o.n < 0) o.n = command.equals("export") ? 1000 : 100;
            return o;
        }

        private static String value(List<String> args, int i, String option) {
            if (i >= args.size()) throw new IllegalArgumentException(option + " needs a value");
            return args.get(i);
        }

        RunConfig config() {
            RunConfig c = profile == null ? RunConfig.fromEnvironment(dataset) : RunConfig.profile(profile, dataset);
            return c.with(overrides);
        }

        Path out() { return out != null ? out : Experiment.outputDirFor(config()); }
    }
}
