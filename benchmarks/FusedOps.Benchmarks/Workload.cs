using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedOps.Reference;

namespace FusedOps.Benchmarks;

/// <summary>
/// One pipeline at one batch size with everything the benchmarks time, built once: the generated
/// model, its frozen form, the reference interpreter holding the same state, and input and
/// gradient buffers. Every timed method does the same work for the fused and the reference model.
/// </summary>
public sealed class Workload
{
    private const int TwoBlockCnnBatch = 64;

    private readonly float[] _output;
    private readonly float[] _inputGradient;

    private Workload(string name, Type pipeline, IFusedModel model, Func<IInferenceModel> freeze, int batch, bool inputGradient)
    {
        Name = name;
        Pipeline = pipeline;
        Batch = batch;
        Model = model;
        WantsInputGradient = inputGradient;

        // Non-trivial per-channel state (as after training: BatchNorm γ, β, running statistics,
        // biases), so that eval mode and folding do real work.
        var random = new Random(11);
        foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + random.NextSingle() : random.NextSingle() - 0.5f;
            }
        }

        Frozen = freeze();
        Reference = ReferenceFor(pipeline);
        Reference.Parameters.CopyFrom(model.Parameters);
        Reference.Buffers.CopyFrom(model.Buffers);

        Input = Enumerable.Range(0, batch * model.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        OutputGradient = Enumerable.Range(0, batch * model.OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        _output = new float[batch * model.OutputLength];
        _inputGradient = inputGradient ? new float[Input.Length] : [];
        (InferenceFlops, TrainingFlops) = CountFlops(pipeline, batch, inputGradient);
    }

    /// <summary>Short description for tables.</summary>
    public string Name { get; }

    /// <summary>The generated pipeline class.</summary>
    public Type Pipeline { get; }

    /// <summary>The pipeline's layer attributes, in order.</summary>
    public IReadOnlyList<LayerAttribute> Layers => LayersOf(Pipeline);

    /// <summary>Samples per call.</summary>
    public int Batch { get; }

    /// <summary>The generated pipeline (training mode and <c>Infer</c>).</summary>
    public IFusedModel Model { get; }

    /// <summary>The generated pipeline's <c>Freeze()</c>.</summary>
    public IInferenceModel Frozen { get; }

    /// <summary>The naive reference interpreter with the same state.</summary>
    public ReferenceModel Reference { get; }

    /// <summary>Whether a training step also computes the gradient with respect to the input.</summary>
    public bool WantsInputGradient { get; }

    /// <summary>Input batch, uniform in [−1, 1].</summary>
    public float[] Input { get; }

    /// <summary>Output gradient fed to <c>Backward</c>, uniform in [−1, 1].</summary>
    public float[] OutputGradient { get; }

    /// <summary>The output of the last call.</summary>
    public ReadOnlySpan<float> Output => _output;

    /// <summary>Floating-point operations of one inference call: 2 per multiply-add of every Conv2d and Linear (elementwise layers not counted).</summary>
    public long InferenceFlops { get; }

    /// <summary>Floating-point operations of one training step: the forward pass plus, per Conv2d and Linear, as many again for the weight gradient and for the input gradient (skipped for the first layer when <see cref="WantsInputGradient"/> is false).</summary>
    public long TrainingFlops { get; }

    /// <summary>The five cases of the performance goals, by their short names, in table order.</summary>
    public static IReadOnlyList<string> CaseIds { get; } = ["B", "C", "S1", "S2", "M"];

    /// <summary>Builds one of <see cref="CaseIds"/>; the training step never computes the input gradient.</summary>
    public static Workload ForCase(string id)
    {
        CaseDefinition d = Definition(id);
        IFusedModel model = d.Construct();
        return new Workload(d.Name, d.Pipeline, model, () => d.Freeze(model), d.Batch, inputGradient: false);
    }

    /// <summary>FLOPs of one inference call and one training step of <see cref="ForCase"/>'s case, without building the models.</summary>
    public static (long Inference, long Training) CaseFlops(string id)
    {
        CaseDefinition d = Definition(id);
        return CountFlops(d.Pipeline, d.Batch, inputGradient: false);
    }

    /// <summary>How one case is built: the model alone (no reference, no buffers), for timing a user's first call.</summary>
    public static CaseDefinition Definition(string id) => id switch
    {
        "B" => new("B: Conv2d 16→32 3×3 p1 + BN + ReLU, 8×16×32×32", typeof(ConvBnReluBlock), 8, () => new ConvBnReluBlock(1), m => ((ConvBnReluBlock)m).Freeze()),
        "C" => new("C: Conv2d 64→64 3×3 p1 + BN + ReLU, 1×64×56×56", typeof(WideConvBlock), 1, () => new WideConvBlock(1), m => ((WideConvBlock)m).Freeze()),
        "S1" => new("S1: Linear 64→32 + BN + ReLU, 16×64", typeof(SmallLinearBlock), 16, () => new SmallLinearBlock(1), m => ((SmallLinearBlock)m).Freeze()),
        "S2" => new("S2: Conv2d 8→8 3×3 p1 + BN + ReLU, 1×8×16×16", typeof(SmallConvBlock), 1, () => new SmallConvBlock(1), m => ((SmallConvBlock)m).Freeze()),
        "M" => new("M: Linear 784→256 + BN + ReLU → Linear 10, 64×784", typeof(MnistMlp), 64, () => new MnistMlp(1), m => ((MnistMlp)m).Freeze()),
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, $"expected one of {string.Join(", ", CaseIds)}"),
    };

    /// <summary>FLOPs of one inference call and one training step of <see cref="TwoBlockCnn"/>.</summary>
    public static (long Inference, long Training) TwoBlockCnnFlops => CountFlops(typeof(TwoBlockCnn), TwoBlockCnnBatch, inputGradient: false);

    /// <summary>The sample's two-block CNN on batch 64; training skips the input gradient (as the sample does).</summary>
    public static Workload TwoBlockCnn()
    {
        var model = new TwoBlockCnn(seed: 1);
        return new Workload("Two-block CNN (the Shapes sample), batch 64 × 1×16×16", typeof(TwoBlockCnn), model, model.Freeze, TwoBlockCnnBatch, inputGradient: false);
    }

    /// <summary><c>Frozen.Infer</c> on the batch.</summary>
    public void FrozenInfer() => Frozen.Infer(Input, _output, Batch);

    /// <summary><c>Infer</c> (eval mode, unfolded) on the batch.</summary>
    public void Infer() => Model.Infer(Input, _output, Batch);

    /// <summary>One training step without the optimizer: ZeroGrad, Forward, Backward.</summary>
    public void TrainingStep() => TrainingStep(Model);

    /// <summary>The reference interpreter's inference on the batch.</summary>
    public void ReferenceInfer() => Reference.Infer(Input, _output, Batch);

    /// <summary>The reference interpreter's training step (same work as <see cref="TrainingStep()"/>).</summary>
    public void ReferenceTrainingStep() => TrainingStep(Reference);

    private void TrainingStep(IFusedModel model)
    {
        model.ZeroGrad();
        model.Forward(Input, _output, Batch);
        model.Backward(OutputGradient, _inputGradient);
    }

    /// <summary>The layer attributes of a generated pipeline class, in order.</summary>
    /// <param name="pipeline">The pipeline class.</param>
    public static List<LayerAttribute> LayersOf(Type pipeline) => pipeline.GetCustomAttributes<LayerAttribute>(inherit: false).ToList();

    // The reference interpreter built from the same attributes as the generated class (same state-dict names and shapes).
    private static ReferenceModel ReferenceFor(Type pipeline) =>
        new(pipeline.GetCustomAttribute<FusedPipelineAttribute>()!.InputShape, LayersOf(pipeline), seed: 0);

    private static (long Inference, long Training) CountFlops(Type pipeline, int batch, bool inputGradient)
    {
        List<LayerAttribute> layers = LayersOf(pipeline);
        ReferenceModel reference = ReferenceFor(pipeline);
        IReadOnlyList<int[]> shapes = reference.LayerOutputShapes;
        long forward = 0, training = 0;
        bool first = true;
        for (int i = 0; i < layers.Count; i++)
        {
            string prefix = i.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".weight";
            long macsPerSample = layers[i] switch
            {
                Conv2dAttribute => reference.Parameters[prefix].Length * (long)shapes[i][1] * shapes[i][2], // weights × output pixels
                LinearAttribute => reference.Parameters[prefix].Length,
                _ => 0,
            };
            if (macsPerSample == 0)
            {
                continue;
            }

            long flops = 2 * macsPerSample * batch;
            forward += flops;
            training += (first && !inputGradient ? 2 : 3) * flops; // forward, weight gradient, input gradient
            first = false;
        }

        return (forward, training);
    }
}

/// <summary>One benchmark case: its title, pipeline class, batch, and how to build and freeze the model.</summary>
public sealed record CaseDefinition(string Name, Type Pipeline, int Batch, Func<IFusedModel> Construct, Func<IFusedModel, IInferenceModel> Freeze);
