using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedOps.Reference;

/// <summary>A tensor named by <see cref="SaveAttribute"/>: the layer that saved it and its per-sample shape.</summary>
internal readonly record struct SavedTensor(int Layer, int[] Shape);

/// <summary>
/// The names of a pipeline while it is being built, layer by layer: which names are saved so
/// far (and with what shape), and which are saved anywhere, so that a use of a name can be told
/// apart as unknown or as coming before its <c>Save</c>.
/// </summary>
internal sealed class BranchTable
{
    private readonly Dictionary<string, int> _savedAnywhere = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SavedTensor> _savedSoFar = new(StringComparer.Ordinal);

    public BranchTable(IReadOnlyList<LayerAttribute> layers)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is SaveAttribute { Name: { } name })
            {
                _savedAnywhere.TryAdd(name, i);
            }
        }
    }

    /// <summary>Records that layer <paramref name="index"/> saves its input as <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty or already saved.</exception>
    public void Save(int index, string description, int[] shape, string? name)
    {
        CheckName(index, description, shape, name);
        if (_savedSoFar.TryGetValue(name!, out SavedTensor earlier))
        {
            throw LayerFactory.ShapeError(index, description, shape,
                $"the name {Literal.Quote(name!)} is already saved by layer {earlier.Layer} (shape {Parameter.FormatShape(earlier.Shape)}); "
                + "a name is saved once and may be used several times after it, so give this Save another name");
        }

        _savedSoFar.Add(name!, new SavedTensor(index, shape));
    }

    /// <summary>The tensor a layer at <paramref name="index"/> refers to as <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, unknown, or saved only after this layer.</exception>
    public SavedTensor Find(int index, string description, int[] shape, string? name)
    {
        CheckName(index, description, shape, name);
        if (_savedSoFar.TryGetValue(name!, out SavedTensor saved))
        {
            return saved;
        }

        string problem = _savedAnywhere.TryGetValue(name!, out int later)
            ? $"{Literal.Quote(name!)} is used before it is saved (layer {later} saves it); put [Save({Literal.Quote(name!)})] before this layer"
            : $"no layer saves a tensor named {Literal.Quote(name!)}; "
                + (_savedAnywhere.Count == 0
                    ? "the pipeline has no [Save(...)]"
                    : $"saved names: {string.Join(", ", _savedAnywhere.Keys.Select(Literal.Quote))}");
        throw LayerFactory.ShapeError(index, description, shape, problem);
    }

    private static void CheckName(int index, string description, int[] shape, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw LayerFactory.ShapeError(index, description, shape, $"the name must be a non-empty string, got {(name is null ? "null" : "\"\"")}");
        }
    }
}

/// <summary>
/// The named tensors of one forward pass, and during backward the gradient that the layers using
/// a name have sent back to it so far; the <see cref="SaveLayer"/> adds that sum to the gradient
/// of the main path, which is where the two paths meet.
/// </summary>
internal sealed class BranchStore
{
    private readonly Dictionary<string, double[]> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double[]> _gradients = new(StringComparer.Ordinal);

    public void Save(string name, double[] tensor) => _tensors[name] = tensor;

    public double[] Get(string name) => _tensors[name];

    /// <summary>Forgets the gradients of an earlier backward over the same pass.</summary>
    public void ClearGradients() => _gradients.Clear();

    /// <summary>Adds one use's gradient with respect to the saved tensor.</summary>
    public void AddGradient(string name, double[] gradient)
    {
        if (!_gradients.TryGetValue(name, out double[]? sum))
        {
            _gradients.Add(name, (double[])gradient.Clone());
            return;
        }

        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] += gradient[i];
        }
    }

    /// <summary>The summed gradient of every use of <paramref name="name"/>, or null if none sent one.</summary>
    public double[]? TakeGradient(string name) => _gradients.Remove(name, out double[]? sum) ? sum : null;
}

/// <summary><c>[Save(name)]</c>: passes its input on unchanged and keeps it under the name for later layers.</summary>
internal sealed class SaveLayer : RefLayer
{
    private readonly string _name;

    private SaveLayer(int index, string description, int[] inputShape, string name)
        : base(index, description, inputShape, inputShape) => _name = name;

    public static SaveLayer Create(int index, string description, SaveAttribute a, int[] inputShape, BranchTable branches)
    {
        branches.Save(index, description, inputShape, a.Name);
        return new SaveLayer(index, description, inputShape, a.Name);
    }

    public override double[] Forward(LayerContext context, double[] input)
    {
        context.Branches.Save(_name, input);
        return (double[])input.Clone();
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        double[] inputGradient = (double[])outputGradient.Clone();
        if (context.Branches.TakeGradient(_name) is { } fromUses)
        {
            for (int i = 0; i < inputGradient.Length; i++)
            {
                inputGradient[i] += fromUses[i];
            }
        }

        return inputGradient;
    }
}

/// <summary>
/// <c>[Concat(name)]</c>: <c>torch.cat((current, saved), dim=1)</c>; each output sample is the
/// current sample followed by the saved one, so channels (features) <c>[current, saved]</c>.
/// </summary>
internal sealed class ConcatLayer : RefLayer
{
    private readonly string _name;
    private readonly int _savedLength;

    private ConcatLayer(int index, string description, int[] inputShape, int[] outputShape, string name, int savedLength)
        : base(index, description, inputShape, outputShape) => (_name, _savedLength) = (name, savedLength);

    public static ConcatLayer Create(int index, string description, ConcatAttribute a, int[] inputShape, BranchTable branches)
    {
        SavedTensor saved = branches.Find(index, description, inputShape, a.Name);
        if (saved.Shape.Length != inputShape.Length || !saved.Shape.AsSpan(1).SequenceEqual(inputShape.AsSpan(1)))
        {
            throw LayerFactory.ShapeError(index, description, inputShape,
                $"the tensor saved as {Literal.Quote(a.Name)} by layer {saved.Layer} has shape {Parameter.FormatShape(saved.Shape)}, "
                + $"the current tensor {Parameter.FormatShape(inputShape)}; Concat joins channels and needs both rank 1, or both rank 3 with the same height and width");
        }

        int[] outputShape = (int[])inputShape.Clone();
        outputShape[0] += saved.Shape[0];
        return new ConcatLayer(index, description, inputShape, outputShape, a.Name, Product(saved.Shape));
    }

    public override double[] Forward(LayerContext context, double[] input)
    {
        double[] saved = context.Branches.Get(_name);
        var output = new double[context.Batch * OutputLength];
        for (int n = 0; n < context.Batch; n++)
        {
            Array.Copy(input, n * InputLength, output, n * OutputLength, InputLength);
            Array.Copy(saved, n * _savedLength, output, (n * OutputLength) + InputLength, _savedLength);
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var inputGradient = new double[context.Batch * InputLength];
        var savedGradient = new double[context.Batch * _savedLength];
        for (int n = 0; n < context.Batch; n++)
        {
            Array.Copy(outputGradient, n * OutputLength, inputGradient, n * InputLength, InputLength);
            Array.Copy(outputGradient, (n * OutputLength) + InputLength, savedGradient, n * _savedLength, _savedLength);
        }

        context.Branches.AddGradient(_name, savedGradient);
        return inputGradient;
    }
}
