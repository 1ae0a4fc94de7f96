package featurealign.train;

import featurealign.runtime.NativeMemory;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The update every {@link TrainingStep} makes, written once: one gradient call of the step's graph, every loss and
 * every gradient checked finite (otherwise a {@link TrainingDivergedException} naming the network, the term and the
 * step, and no update), one Adam step on the step's parameters, and the gradient buffers handed back for reuse.
 */
public final class GraphUpdate {

    private final String network;
    private final SameDiff graph;
    private final Map<String, INDArray> parameters;
    private final List<String> parameterNames;
    private final Adam optimizer;
    private final NativeMemory memory;

    /**
     * @param network    what the messages call the network ("encoder", "generator", ...)
     * @param parameters the arrays the update changes, by graph variable name (live)
     * @param memory     the memory of the graph's owner; every call on the graph goes through it
     */
    public GraphUpdate(String network, SameDiff graph, Map<String, INDArray> parameters, Adam optimizer, NativeMemory memory) {
        this.network = network;
        this.graph = graph;
        this.parameters = parameters;
        this.parameterNames = List.copyOf(parameters.keySet());
        this.optimizer = optimizer;
        this.memory = memory;
    }

    public Adam optimizer() { return optimizer; }

    /**
     * Runs the update.
     *
     * @param feed   the graph's placeholders
     * @param losses graph variables of scalar losses by report name; the first is the total the graph minimises
     * @param arrays graph variables handed back to the caller (who owns them), by report name
     * @return the losses (before the update) and the arrays, by report name
     */
    public TrainingStep.Result run(Map<String, INDArray> feed, Map<String, String> losses, Map<String, String> arrays) {
        List<String> outputs = new ArrayList<>(losses.values());
        for (String v : arrays.values()) if (!outputs.contains(v)) outputs.add(v);
        OutAndGrad out = memory.gradientsAndOutputs(graph, feed, outputs, parameterNames);
        Map<String, INDArray> values = out.getOutputs();
        Map<String, Double> lossValues = new LinkedHashMap<>();
        losses.forEach((name, variable) -> lossValues.put(name, values.get(variable).getDouble(0)));
        Map<String, INDArray> handed = new LinkedHashMap<>();
        arrays.forEach((name, variable) -> handed.put(name, values.get(variable)));
        String problem = divergence(lossValues, out.getGradients());
        if (problem != null) {
            NativeMemory.closeAll(values.values());
            memory.recycle(out.getGradients().values());
            throw new TrainingDivergedException(problem);
        }
        optimizer.update(parameters, out.getGradients());
        memory.recycle(out.getGradients().values()); // Adam wrote the updates there; the next step reuses them
        List<INDArray> notHanded = new ArrayList<>();
        for (String v : losses.values()) if (!arrays.containsValue(v)) notHanded.add(values.get(v));
        NativeMemory.closeAll(notHanded);
        return new TrainingStep.Result(lossValues, handed);
    }

    /** What is not finite, named with the network and the step; null when every loss and gradient is finite. */
    private String divergence(Map<String, Double> losses, Map<String, INDArray> gradients) {
        String when = network + " step " + (optimizer.step() + 1);
        for (double v : losses.values()) if (!Double.isFinite(v)) return network + " loss is not finite at " + when + ": " + losses;
        for (var e : gradients.entrySet()) {
            if (!Double.isFinite(e.getValue().sumNumber().doubleValue())) {
                return network + " gradient of " + e.getKey() + " is not finite at " + when;
            }
        }
        return null;
    }
}
