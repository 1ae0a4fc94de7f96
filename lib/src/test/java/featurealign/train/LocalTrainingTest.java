package featurealign.train;

import featurealign.GradientCheck;

import featurealign.nn.LayerSpec;
import featurealign.nn.Network;
import featurealign.nn.NetworkSpec;
import featurealign.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static featurealign.train.LocalTestNets.*;
import static org.junit.jupiter.api.Assertions.*;

/** Local training: per-layer gradients, the bias cancellation, the CIFAR-bug option, learning, errors. */
class LocalTrainingTest {

    static final int BATCH = 3;

    /** A float64 trainer on the tiny net, weights perturbed away from orthogonal so every loss and gradient is visible. */
    static LocalTraining perturbed(int steps, double eta, long seed) {
        LocalTraining t = LocalTraining.builder(twoStage()).dataType(DataType.DOUBLE).seed(seed)
                .alignmentSteps(steps).stepSize(eta).build();
        Nd4j.getRandom().setSeed(seed);
        for (Map.Entry<String, INDArray> e : t.parameters().entrySet()) {
            INDArray p = e.getValue();
            p.muli(1.3).addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.2));
        }
        return t;
    }

    static INDArray moduleInput(Shape in, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, in.withBatch(BATCH)).muli(0.8);
    }

    static double loss(LocalTraining t, int module, INDArray x) {
        return t.layerLoss(module, x);
    }

    @ParameterizedTest(name = "T={0}, eta={1}")
    @CsvSource({"1, 1.0", "2, 1.0", "2, 0.5"})
    void layerGradientsMatchCentralFiniteDifferences(int steps, double eta) {
        LocalTraining t = perturbed(steps, eta, 5);
        List<Shape> shapes = t.spec().shapes();
        Random pick = new Random(3);
        Nd4j.getRandom().setSeed(3);
        // The floor scales with the loss: central differences carry noise of about ε·L/h.
        GradientCheck check = new GradientCheck(1e-6, pick, loss -> 1e-3 * Math.max(1, loss));
        for (int module : t.trainedParametrisedModules()) {
            INDArray x = moduleInput(shapes.get(module), 100 + module);
            Map<String, INDArray> grads = t.lossAndGradients(module, x).getGradients();
            for (String name : grads.keySet()) {
                assertTrue(name.startsWith("memory/" + module + "/"), "gradient " + name + " from module " + module);
                check.check(name, t.parameters().get(name), grads.get(name), () -> loss(t, module, x));
            }
        }
        double overall = check.overall(), worst = check.worst(), sumSqRef = check.sumOfSquaredReferences();
        int checked = check.checked();
        String worstAt = check.worstAt();
        System.out.printf("local layer gradients vs central FD (T=%d, eta=%.1f): %d directions, relative error %.2e,"
                + " worst %.2e at %s%n", steps, eta, checked, overall, worst, worstAt);
        assertEquals(2 * 2 * 6, checked, "W and b of six modules, two directions each");
        assertTrue(sumSqRef > 1e-6, "degenerate test: all finite differences vanish");
        assertTrue(overall < 1e-6, "overall relative error " + overall);
        assertTrue(worst < 1e-4, "worst " + worst + " at " + worstAt);
    }

    /**
     * The graph's loss equals the definition computed independently: T plain gradient steps on r of
     * ½‖m(x) − m(r)‖², with SameDiff's own autodiff (no hand-built transpose), then ½‖x − r‖².
     */
    @ParameterizedTest(name = "T={0}, eta={1}")
    @CsvSource({"1, 1.0", "2, 0.5"})
    void layerLossEqualsTheInnerStepDefinition(int steps, double eta) {
        LocalTraining t = perturbed(steps, eta, 8);
        NetworkSpec spec = t.spec();
        for (int module : t.trainedParametrisedModules()) {
            Shape in = spec.shapes().get(module);
            INDArray x = moduleInput(in, 200 + module);
            double mine = loss(t, module, x);
            NetworkSpec one = new NetworkSpec("ref", in, List.of(spec.layers().get(module)));
            SameDiff sd = SameDiff.create();
            Map<String, INDArray> renamed = new HashMap<>();
            t.parameters().forEach((k, v) -> {
                if (k.startsWith("memory/" + module + "/")) renamed.put("ref/0/" + k.substring(k.lastIndexOf('/') + 1), v);
            });
            Network net = copyOf(sd, one, renamed, DataType.DOUBLE);
            SDVariable fx = net.forward(sd.constant("xc", x), true).output();
            SDVariable r = sd.var("r", Nd4j.zeros(DataType.DOUBLE, in.withBatch(BATCH)));
            SDVariable d = fx.sub(net.forward(r, true).output());
            d.mul(d).sum().mul(0.5).rename("cost");
            sd.setLossVariables("cost");
            for (int s = 0; s < steps; s++) {
                INDArray g = sd.calculateGradients(Map.of(), "r").get("r");
                r.getArr().subi(g.mul(eta));
            }
            INDArray diff = x.sub(r.getArr());
            double reference = 0.5 * diff.mul(diff).sumNumber().doubleValue();
            assertEquals(reference, mine, 1e-10 * Math.max(1, reference), "module " + module);
            if (steps == 1 && spec.layers().get(module) instanceof LayerSpec.Dense) {
                // Closed form for T = 1: r = WᵀW x (row vectors: x·W·Wᵀ); the bias cancels.
                INDArray w = t.parameters().get("memory/" + module + "/W");
                INDArray rr = x.mmul(w).mmul(w.transpose());
                INDArray e = x.sub(rr);
                assertEquals(0.5 * e.mul(e).sumNumber().doubleValue(), mine, 1e-10 * Math.max(1, mine));
            }
        }
    }

    /**
     * docs/method.md §6 DERIVED: for an affine layer, r0 = 0 and T = 1, r = WᵀW x does not depend on b (the bias appears
     * in both m(x) and m(r) and cancels), so the loss's bias gradient is zero. Autodiff through the very same graph
     * (here via the end-to-end step on one module, which asks for every gradient) returns it as rounding noise only;
     * local training uses the exact zero, so a step leaves every bias bit-for-bit unchanged while weights move.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"DOUBLE, 1e-13", "FLOAT, 1e-6"})
    void biasesOfAffineLayersGetZeroGradientBecauseTheBiasCancels(DataType type, double tolerance) {
        NetworkSpec spec = twoStage();
        for (int module : List.of(0, 2, 9, 11)) {
            Shape in = spec.shapes().get(module);
            NetworkSpec one = new NetworkSpec("one", in, List.of(spec.layers().get(module)));
            LocalEndToEndStep autodiff = new LocalEndToEndStep(one, type, 3, 1, 1.0, LocalTraining.referenceAdam());
            INDArray x = moduleInput(in, module).castTo(type);
            Map<String, INDArray> g = autodiff.lossAndGradients(x).getGradients();
            double gw = g.get("one/0/W").norm2Number().doubleValue(), gb = g.get("one/0/b").norm2Number().doubleValue();
            System.out.printf("module %d (%s), %s: |dL/dW| %.3e, autodiff |dL/db| %.3e%n", module,
                    spec.layers().get(module), type, gw, gb);
            assertTrue(gw > 1e-3, "module " + module + ": weight gradient should not vanish, got " + gw);
            assertTrue(gb <= tolerance * gw, "module " + module + ": bias gradient " + gb + " is not rounding noise");
        }
        LocalTraining t = LocalTraining.builder(spec).dataType(type).seed(11).build();
        for (int module : t.trainedParametrisedModules()) {
            INDArray gb = t.lossAndGradients(module, moduleInput(spec.shapes().get(module), module).castTo(type))
                    .getGradients().get("memory/" + module + "/b");
            assertEquals(0.0, gb.amaxNumber().doubleValue(), "local training's bias gradient is the exact zero");
        }
        Map<String, INDArray> before = snapshot(t);
        for (int i = 0; i < 3; i++) t.run(uniformImages(i, type, BATCH, 1, 8, 8));
        for (String name : before.keySet()) {
            boolean same = identical(before.get(name), t.parameters().get(name));
            if (name.endsWith("/b")) assertTrue(same, name + " changed, but its gradient is zero");
            else assertFalse(same, name + " did not change");
        }
    }

    @Test
    void referenceCifarBugLeavesModulesFromTwelveOnUntrainedWhileTheDefaultTrainsThem() {
        INDArray images = uniformImages(2, DataType.FLOAT, BATCH, 3, 8, 8);
        LocalTraining buggy = LocalTraining.builder(threeStage()).seed(4).referenceCifarBug().build();
        LocalTraining fixed = LocalTraining.builder(threeStage()).seed(4).build();
        assertEquals(16, buggy.spec().layers().size());
        assertEquals(12, buggy.trainedModules());
        assertEquals(16, fixed.trainedModules());
        assertEquals(List.of(0, 2, 4, 6, 8, 10), buggy.trainedParametrisedModules());
        assertEquals(List.of(0, 2, 4, 6, 8, 10, 13, 15), fixed.trainedParametrisedModules());
        Map<String, INDArray> initial = snapshot(buggy);
        for (String name : initial.keySet()) {
            assertTrue(identical(initial.get(name), fixed.parameters().get(name)), "same seed, same initial " + name);
        }

        TrainingStep.Result rb = buggy.run(images), rf = fixed.run(images);
        assertEquals(1 + 6, rb.losses().size(), "total and one loss per trained module with parameters");
        assertEquals(1 + 8, rf.losses().size());
        for (String name : initial.keySet()) {
            if (!name.endsWith("/W")) continue;
            int module = Integer.parseInt(name.split("/")[1]);
            boolean buggyChanged = !identical(initial.get(name), buggy.parameters().get(name));
            boolean fixedChanged = !identical(initial.get(name), fixed.parameters().get(name));
            assertTrue(fixedChanged, "default: " + name + " should be trained");
            assertEquals(module < 12, buggyChanged, "reference bug: " + name + (module < 12 ? " should" : " should not")
                    + " change");
        }
        assertEquals(rb.loss("module 4"), rf.loss("module 4"), 0.0, "modules before 12 are trained identically");
        assertEquals(List.of("memory/13/W", "memory/13/b", "memory/15/W", "memory/15/b"), fixed.optimizer().names().subList(12, 16));
        assertEquals(12, buggy.optimizer().names().size(), "Adam never sees the untrained modules");
    }

    @Test
    void aFewStepsLowerTheSummedLayerLosses() {
        LocalTraining t = LocalTraining.builder(twoStage()).seed(3).adam(new Adam(1e-2, 0.9, 0.999, 1e-8)).build();
        INDArray images = uniformImages(5, DataType.FLOAT, 8, 1, 8, 8);
        double first = t.run(images).total(), last = first;
        for (int i = 0; i < 5; i++) last = t.run(images).total();
        System.out.printf("local training, tiny net: summed layer loss %.4f -> %.4f after 6 steps%n", first, last);
        assertTrue(last < 0.75 * first, "summed loss " + first + " -> " + last);
        assertEquals(6, t.optimizer().step());
    }

    @Test
    void stepReportsOneLossPerTrainedModuleWithParametersAndTheirSumIsTheTotal() {
        LocalTraining t = LocalTraining.builder(twoStage()).seed(2).build();
        TrainingStep.Result r = t.run(uniformImages(6, DataType.FLOAT, BATCH, 1, 8, 8));
        assertEquals(List.of("total", "module 0", "module 2", "module 4", "module 6", "module 9", "module 11"),
                List.copyOf(r.losses().keySet()));
        double sum = 0;
        for (var l : r.losses().entrySet()) {
            if (l.getKey().equals("total")) continue;
            assertTrue(l.getValue() > 0 && Double.isFinite(l.getValue()), l.getKey() + " loss " + l.getValue());
            sum += l.getValue();
        }
        assertEquals(sum, r.total(), 1e-9 * sum);
        assertEquals(1, t.optimizer().step());
        assertTrue(Double.isNaN(r.loss("module 1")), "a parameter-free module has no loss");
    }

    @Test
    void initialParametersAreTheWholeNetworksReferenceInitialisation() {
        NetworkSpec spec = twoStage();
        LocalTraining t = LocalTraining.builder(spec).dataType(DataType.DOUBLE).seed(42).build();
        Network whole = Network.declare(SameDiff.create(), spec, DataType.DOUBLE);
        whole.initialize(42);
        assertEquals(whole.parameterNames(), List.copyOf(t.parameters().keySet()));
        for (SDVariable v : whole.parameters()) assertTrue(identical(v.getArr(), t.parameters().get(v.name())), v.name());
    }

    @Test
    void aNonFiniteLossStopsNamingTheModuleAndLeavesParametersAndOptimiserAsBefore() {
        LocalTraining t = LocalTraining.builder(twoStage()).seed(1).build(); // float32
        t.parameters().get("memory/4/W").muli(1e15f); // r = WᵀW x overflows float32 in module 4 only
        Map<String, INDArray> before = snapshot(t);
        LocalTraining.NonFiniteLossException e = assertThrows(LocalTraining.NonFiniteLossException.class,
                () -> t.run(uniformImages(7, DataType.FLOAT, BATCH, 1, 8, 8)));
        assertEquals(4, e.module());
        assertFalse(Double.isFinite(e.loss()));
        assertTrue(e.getMessage().contains("module 4") && e.getMessage().contains("Conv2d"), e.getMessage());
        for (String name : before.keySet()) {
            assertTrue(identical(before.get(name), t.parameters().get(name)), name + " must be as before the failed step");
        }
        assertEquals(0, t.optimizer().step());
    }

    @Test
    void badArgumentsGiveClearErrors() {
        NetworkSpec spec = twoStage();
        LocalTraining t = LocalTraining.builder(spec).build();
        assertMessage(() -> t.run(Nd4j.zeros(DataType.FLOAT, 2, 3, 8, 8)), "images", "[batch,1,8,8]", "[2, 3, 8, 8]");
        assertMessage(() -> t.run(Nd4j.zeros(DataType.FLOAT, 2, 64)), "images", "[batch,1,8,8]");
        assertMessage(() -> t.run(null), "images");
        assertMessage(() -> LocalTraining.builder(spec).alignmentSteps(0), "alignment steps T must be >= 1", "0");
        assertMessage(() -> LocalTraining.builder(spec).stepSize(-1), "step size", "-1");
        assertMessage(() -> LocalTraining.builder(spec).trainedModules(0), "trainedModules", "[1, 12]", "got 0");
        assertMessage(() -> LocalTraining.builder(spec).trainedModules(13), "trainedModules", "[1, 12]", "got 13");
        NetworkSpec short5 = new NetworkSpec("short", Shape.vector(4), List.of(new LayerSpec.Dense(4, 4),
                new LayerSpec.Asinh(), new LayerSpec.Dense(4, 4), new LayerSpec.Asinh(), new LayerSpec.Dense(4, 2)));
        assertMessage(() -> LocalTraining.builder(short5).referenceCifarBug(), "trainedModules", "[1, 5]", "got 12");
        NetworkSpec withBn = new NetworkSpec("bn", Shape.image(1, 4, 4), List.of(new LayerSpec.Conv2d(1, 2, 3, 1, 1),
                new LayerSpec.BatchNorm(2)));
        assertMessage(() -> LocalTraining.builder(withBn), "bn layer 1", "BatchNorm", "no transpose");
        assertMessage(() -> LocalTraining.builder(spec).dataType(DataType.INT), "dataType");
    }

    static Map<String, INDArray> snapshot(LocalTraining t) {
        Map<String, INDArray> copy = new HashMap<>();
        t.parameters().forEach((k, v) -> copy.put(k, v.dup()));
        return copy;
    }
}
