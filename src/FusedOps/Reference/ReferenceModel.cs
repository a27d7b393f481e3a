using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace FusedOps.Reference;

/// <summary>
/// A naive, obviously correct interpreter of a layer pipeline with PyTorch's semantics: scalar
/// loops, every value in double, one layer at a time. It is the yardstick the generated kernels
/// are tested against and a debugging aid: build it from the same attributes (or the same
/// declaration text) as a generated model, with the same seed, and the two start from identical
/// state and should agree to float32 rounding.
/// </summary>
/// <remarks>
/// <para>
/// State follows <c>torch.nn.Sequential</c>: layer <c>i</c> (counting every attribute) owns
/// <c>"{i}.weight"</c>, <c>"{i}.bias"</c>, <c>"{i}.running_mean"</c>, <c>"{i}.running_var"</c>.
/// Parameters and buffers are float32, as in a generated model; every pass converts them to
/// double, computes in double, and rounds only the results it writes back.
/// </para>
/// <para>
/// Default initialisation draws from <c>new InitRandom(seed)</c>, layer by layer: Linear and
/// Conv2d fill weight then bias from U(±1/√fanIn) with fanIn = in or (in/groups)·k·k; BatchNorm
/// and the other normalisations set γ = 1, β = 0, running mean 0, running variance 1; PReLU fills
/// its slopes with <see cref="PReLUAttribute.Init"/>; an <c>Add</c> with a projection fills
/// <c>{i}.proj.weight</c> from U(±1/√C_saved) at its place in the pipeline and sets its BatchNorm
/// state as BatchNorm's. Nothing else draws, except as the weight options say.
/// </para>
/// <para>
/// Weight options draw the plain layer's weight and bias first, then, as PyTorch's utilities
/// applied to that layer: <c>WeightNorm</c> sets weight_v to that weight and weight_g to its row
/// norms (in double, rounded to float); <c>SpectralNorm</c> keeps it as weight_orig and then draws
/// weight_u, then weight_v, with <see cref="InitRandom.FillUnitVector"/>. <c>CosineNorm</c> draws
/// only the weight (it has no bias). SwitchableNorm sets mean_weight and var_weight to 1.
/// State order is PyTorch's: the utilities register their tensors after the bias
/// (<c>bias, weight_g, weight_v</c>; <c>bias, weight_orig</c> and buffers <c>weight_u, weight_v</c>).
/// </para>
/// <para>
/// Branches: <c>Save</c>, <c>Add</c> and <c>Concat</c> are layers with an index like any other.
/// A forward pass keeps each saved tensor; backward sends the gradient of each use back to its
/// name and adds the sum to the main path's gradient at the <c>Save</c>.
/// </para>
/// <para>
/// Training randomness (Dropout, RReLU): the t-th call of <see cref="Forward"/> (t counted from 0
/// over the model's life) draws from an <see cref="InitRandom"/> seeded by a hash of (seed, t).
/// Layers draw in pipeline order, one <see cref="InitRandom.NextSingle"/> per element, row-major
/// over the whole batch: Dropout keeps an element when u ≥ P; RReLU's slope is
/// Lower + (Upper − Lower)·u. <see cref="ForwardDouble"/> in training mode uses the stream the
/// next <see cref="Forward"/> will use without advancing it, so repeated calls (finite
/// differences) see the same masks. The generated code need not draw the same masks.
/// </para>
/// </remarks>
public sealed partial class ReferenceModel : IFusedModel
{
    private readonly RefLayer[] _layers;
    private readonly int[] _inputShape;
    private readonly int _inputLength;
    private readonly int _seed;
    private readonly bool _usesTrainingRandomness;
    private int _trainingForwards;
    private Pass? _last;
    private readonly LayerAttribute[] _declaredLayers;

    /// <summary>Builds the pipeline, infers every shape and writes PyTorch's default initial state.</summary>
    /// <param name="inputShape">Per-sample input shape: <c>[features]</c> or <c>[channels, height, width]</c>.</param>
    /// <param name="layers">The layer attributes in pipeline order.</param>
    /// <param name="seed">Seed of the default initialisation (and of training randomness).</param>
    /// <exception cref="ArgumentException">
    /// The shape is invalid, a layer cannot take its input, or a branch is wrong (a name unknown,
    /// saved twice or used before its <c>Save</c>, shapes that do not match, a projection no
    /// stride can make); the message names the layer index, the layer, the name and the shapes.
    /// </exception>
    /// <exception cref="NotSupportedException">A layer attribute has no reference implementation.</exception>
    public ReferenceModel(int[] inputShape, IReadOnlyList<LayerAttribute> layers, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(layers);
        if (inputShape.Length is not (1 or 3) || inputShape.Any(d => d < 1))
        {
            throw new ArgumentException(
                $"The input shape must be [features] or [channels, height, width] with every dimension at least 1, got {Parameter.FormatShape(inputShape)}.",
                nameof(inputShape));
        }

        _inputShape = (int[])inputShape.Clone();
        _declaredLayers = layers.ToArray();
        _inputLength = RefLayer.Product(_inputShape);
        _seed = seed;
        _layers = new RefLayer[layers.Count];
        int[] shape = _inputShape;
        var branches = new BranchTable(layers);
        for (int i = 0; i < _layers.Length; i++)
        {
            LayerAttribute attribute = layers[i] ?? throw new ArgumentException($"Layer {i} is null.", nameof(layers));
            _layers[i] = LayerFactory.Create(i, attribute, shape, branches);
            shape = _layers[i].OutputShape;
        }

        Parameters = new ParameterList(_layers.SelectMany(l => l.Parameters).ToArray());
        Buffers = new ParameterList(_layers.SelectMany(l => l.Buffers).ToArray());
        _usesTrainingRandomness = _layers.Any(l => l.UsesTrainingRandomness);
        var random = new InitRandom(seed);
        foreach (RefLayer layer in _layers)
        {
            layer.Initialize(random);
        }
    }

    /// <summary>
    /// Builds the pipeline from the C# attribute text that declares it, e.g.
    /// <c>"[FusedPipeline(2, 8, 8)]\n[Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false)]\n[BatchNorm]\n[ReLU]"</c>
    /// (the <c>declaration</c> of a fixture).
    /// </summary>
    /// <exception cref="ArgumentException">The text is malformed, names an unknown attribute or argument, or the pipeline is invalid.</exception>
    /// <exception cref="NotSupportedException">A layer has no reference implementation.</exception>
    public static ReferenceModel FromDeclaration(string declaration, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(declaration);
        (int[] inputShape, List<LayerAttribute> layers) = DeclarationParser.Parse(declaration);
        return new ReferenceModel(inputShape, layers, seed);
    }

    /// <summary>The seed the model was built with.</summary>
    public int Seed => _seed;

    /// <inheritdoc/>
    public int InputLength => _inputLength;

    /// <inheritdoc/>
    public int OutputLength => _layers.Length == 0 ? InputLength : _layers[^1].OutputLength;

    /// <inheritdoc/>
    public int[] InputShapeArray => (int[])_inputShape.Clone();

    /// <inheritdoc/>
    public int[] OutputShapeArray => (int[])(_layers.Length == 0 ? _inputShape : _layers[^1].OutputShape).Clone();

    /// <summary>The per-sample output shape of every layer, in order.</summary>
    public IReadOnlyList<int[]> LayerOutputShapes => _layers.Select(l => (int[])l.OutputShape.Clone()).ToArray();

    /// <inheritdoc/>
    public ParameterList Parameters { get; }

    /// <inheritdoc/>
    public ParameterList Buffers { get; }

    /// <summary>
    /// Training-mode forward: batch statistics, running-statistic update
    /// (running = (1 − m)·running + m·stat, the variance unbiased), Dropout and RReLU active.
    /// Saves every layer's input for <see cref="Backward"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">A BatchNorm would see one value per channel.</exception>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        ValidateBatch(batchSize, training: true, nameof(batchSize));
        ValidateLength(input.Length, batchSize, InputLength, nameof(input));
        ValidateLength(output.Length, batchSize, OutputLength, nameof(output));
        Pass pass = Run(RefMath.ToDouble(input), batchSize, training: true, state: null);

        // Everything is computed; only now write the output and the running statistics.
        WriteSingle(pass.Output, output);
        for (int i = 0; i < _layers.Length; i++)
        {
            double[][]? updated = pass.Contexts[i].UpdatedBuffers;
            for (int b = 0; updated is not null && b < updated.Length; b++)
            {
                WriteSingle(updated[b], _layers[i].Buffers[b].Data);
            }
        }

        _last = pass;
        _trainingForwards++;
    }

    /// <summary>
    /// Gradient of sum(output · <paramref name="outputGradient"/>) for the last
    /// <see cref="Forward"/> (or <see cref="ForwardDouble"/>), with the parameters that pass used.
    /// Parameter gradients are added to <see cref="Parameter.Grad"/>; an empty
    /// <paramref name="inputGradient"/> skips the input gradient.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass has run.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        Pass pass = LastPass();
        ValidateLength(outputGradient.Length, pass.Batch, OutputLength, nameof(outputGradient));
        if (!inputGradient.IsEmpty)
        {
            ValidateLength(inputGradient.Length, pass.Batch, InputLength, nameof(inputGradient), " (or empty to skip it)");
        }

        (double[] gradInput, double[][][] gradParameters) = BackwardCore(pass, RefMath.ToDouble(outputGradient));
        for (int i = 0; i < _layers.Length; i++)
        {
            for (int p = 0; p < gradParameters[i].Length; p++)
            {
                float[] grad = _layers[i].Parameters[p].Grad;
                for (int k = 0; k < grad.Length; k++)
                {
                    grad[k] = (float)(grad[k] + gradParameters[i][p][k]);
                }
            }
        }

        if (!inputGradient.IsEmpty)
        {
            WriteSingle(gradInput, inputGradient);
        }
    }

    /// <summary>Inference (eval mode): running statistics, Dropout off, RReLU at its mean slope. Changes no state.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        ValidateBatch(batchSize, training: false, nameof(batchSize));
        ValidateLength(input.Length, batchSize, InputLength, nameof(input));
        ValidateLength(output.Length, batchSize, OutputLength, nameof(output));
        WriteSingle(Run(RefMath.ToDouble(input), batchSize, training: false, state: null).Output, output);
    }

    /// <inheritdoc/>
    public void ZeroGrad() => Parameters.ZeroGrad();

    /// <summary>
    /// An inference-only copy of the current parameters and running statistics: later training of this
    /// model does not change it. Its <c>Infer</c> is this model's <see cref="Infer"/> (nothing is folded:
    /// the reference stays the plain layer-by-layer computation).
    /// </summary>
    public IInferenceModel Freeze()
    {
        var copy = new ReferenceModel(_inputShape, _declaredLayers, _seed);
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameters[i].Data.CopyTo(copy.Parameters[i].Data, 0);
        }

        for (int i = 0; i < Buffers.Count; i++)
        {
            Buffers[i].Data.CopyTo(copy.Buffers[i].Data, 0);
        }

        return new FrozenReference(copy);
    }

    /// <summary>The pipeline, one layer per line with its input and output shapes.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("ReferenceModel ").Append(Parameter.FormatShape(_inputShape))
            .Append(" -> ").Append(Parameter.FormatShape(OutputShapeArray));
        foreach (RefLayer layer in _layers)
        {
            text.AppendLine().Append("  ").Append(layer);
        }

        return text.ToString();
    }

    private Pass LastPass() => _last
        ?? throw new InvalidOperationException("Backward needs a forward pass to differentiate: call Forward (or ForwardDouble) first.");

    private void ValidateBatch(int batch, bool training, string name)
    {
        if (batch < 1)
        {
            throw new ArgumentOutOfRangeException(name, batch, $"{name} must be at least 1, got {batch}.");
        }

        foreach (RefLayer layer in _layers)
        {
            if (layer.CheckBatch(batch, training) is { } problem)
            {
                throw new InvalidOperationException(problem);
            }
        }
    }

    private static void ValidateLength(int actual, int batch, int perSample, string name, string note = "")
    {
        long expected = (long)batch * perSample;
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{name} must hold batch {batch} × {perSample} = {expected} elements{note}, got {actual}.", name);
        }
    }

    private static void WriteSingle(double[] source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = (float)source[i];
        }
    }
}

/// <summary>What <see cref="ReferenceModel.Freeze"/> returns: inference only, over a private copy of the state.</summary>
internal sealed class FrozenReference : IInferenceModel
{
    private readonly ReferenceModel _model;

    public FrozenReference(ReferenceModel model) => _model = model;

    public int InputLength => _model.InputLength;

    public int OutputLength => _model.OutputLength;

    public void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize) => _model.Infer(input, output, batchSize);
}
