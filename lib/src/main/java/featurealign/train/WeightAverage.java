package featurealign.train;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * An exponential moving average of a network's weights (setting {@code gan.ema}): after every update of the live
 * weights θ, {@code ema ← d·ema + (1 − d)·θ}, parameter by parameter, in place. The average starts as a copy of θ (made
 * by its owner), as in ESRGAN and most GANs that sample from averaged weights.
 */
final class WeightAverage {

    private final double decay;
    private final Map<String, INDArray> live, average;

    /**
     * @param decay   d in [0,1)
     * @param live    the trained parameters by name
     * @param average arrays of the same names, shapes and types, updated in place
     */
    WeightAverage(double decay, Map<String, INDArray> live, Map<String, INDArray> average) {
        if (!(decay >= 0 && decay < 1)) throw new IllegalArgumentException("EMA decay must be in [0,1), got " + decay);
        if (!live.keySet().equals(average.keySet())) {
            throw new IllegalArgumentException("EMA: averaged parameters " + average.keySet() + " differ from " + live.keySet());
        }
        this.decay = decay;
        this.live = live;
        this.average = average;
    }

    /** One step of the average toward the current live weights. */
    void update() {
        for (var e : average.entrySet()) {
            INDArray scaled = live.get(e.getKey()).mul(1 - decay);
            e.getValue().muli(decay).addi(scaled);
            scaled.close();
        }
    }

    Map<String, INDArray> average() { return average; }
}
