package featurealign.train;

import featurealign.nn.Architecture;
import featurealign.nn.Generator;
import featurealign.runtime.NativeMemory;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * G for inference, its graph built once: evaluation mode (running batch-norm statistics) on {@code input} and
 * {@code condition}, with the trained G's own weights or, with {@code gan.ema}, their moving average (then in arrays of
 * its own, which {@link #afterGeneratorStep} moves after every G step).
 */
final class Refiner {

    private final SameDiff sd = SameDiff.create();
    private final Architecture arch;
    private final DataType dt;
    private final String outputName;
    private final WeightAverage average;
    private final NativeMemory memory;

    Refiner(GeneratorStep trained, Architecture arch, DataType dt, double ema, NativeMemory memory) {
        this.memory = memory;
        this.arch = arch;
        this.dt = dt;
        Generator g = trained.generator();
        Generator refiner = ema > 0 ? Generator.declareCopy(sd, g) : Generator.declareShared(sd, g);
        SDVariable input = sd.placeHolder("input", dt, arch.image().withBatch(-1));
        SDVariable cond = arch.conditioning() > 0 ? sd.placeHolder("condition", dt, -1, arch.conditioning()) : null;
        outputName = refiner.forward(input, cond, false).output().name();
        if (ema > 0) {
            Map<String, INDArray> averaged = new LinkedHashMap<>();
            for (SDVariable v : refiner.parameters()) averaged.put(v.name(), v.getArr());
            average = new WeightAverage(ema, trained.parameters(), averaged);
        } else {
            average = null;
        }
    }

    SameDiff graph() { return sd; }

    /** The moving average of G's parameters by name (live), or an empty map without {@code gan.ema}. */
    Map<String, INDArray> averagedParameters() { return average == null ? Map.of() : average.average(); }

    /** Moves the average toward G's weights (with {@code gan.ema}); called after every G step. */
    void afterGeneratorStep() {
        if (average != null) average.update();
    }

    /** G in evaluation mode on {@code input} {@code [N,C,H,W]} (x̂ or r̃, as G was trained on), in chunks. */
    INDArray refine(INDArray input, INDArray condition) {
        int n = (int) input.size(0);
        if (arch.conditioning() > 0) FaModel.requireCondition(condition, n, arch);
        return FaInference.byChunks(n, (start, end) -> {
            Map<String, INDArray> feed = new HashMap<>();
            feed.put("input", input.get(NDArrayIndex.interval(start, end)).castTo(dt));
            if (condition != null) feed.put("condition", condition.get(NDArrayIndex.interval(start, end)).castTo(dt));
            return new INDArray[]{memory.outputs(sd, feed, outputName).get(outputName)};
        })[0];
    }
}
