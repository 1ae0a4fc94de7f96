package featurealign.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * A sequential network as data: a name (used as the prefix of its SameDiff variables), the input shape and the layers.
 * Construction checks that the layers fit together.
 */
public record NetworkSpec(String name, Shape input, List<LayerSpec> layers) {

    public NetworkSpec {
        if (name == null || name.isBlank() || name.contains("/")) {
            throw new IllegalArgumentException("network name must be non-blank without '/', got '" + name + "'");
        }
        layers = List.copyOf(layers);
        Shape s = input;
        for (int i = 0; i < layers.size(); i++) {
            try {
                s = layers.get(i).outputShape(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " layer " + i + ": " + e.getMessage(), e);
            }
        }
    }

    /** Shapes of each layer's input, then the network output: {@code layers().size() + 1} entries. */
    public List<Shape> shapes() {
        List<Shape> out = new ArrayList<>();
        Shape s = input;
        out.add(s);
        for (LayerSpec l : layers) {
            s = l.outputShape(s);
            out.add(s);
        }
        return out;
    }

    public Shape output() {
        List<Shape> s = shapes();
        return s.get(s.size() - 1);
    }

    public long parameterCount() {
        long n = 0;
        for (LayerSpec l : layers) n += l.parameterCount();
        return n;
    }

    /** A copy of this spec under another name (separate weights, e.g. the discriminator's trunk). */
    public NetworkSpec renamed(String newName) { return new NetworkSpec(newName, input, layers); }

    /** This spec followed by more layers. */
    public NetworkSpec then(String newName, List<LayerSpec> more) {
        List<LayerSpec> all = new ArrayList<>(layers);
        all.addAll(more);
        return new NetworkSpec(newName, input, all);
    }
}
