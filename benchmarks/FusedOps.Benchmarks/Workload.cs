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
    private const int ConvBnReluBatch = 8;
    private const int TwoBlockCnnBatch = 64;

    private readonly float[] _output;
    private readonly float[] _inputGradient;

    private Workload(string name, Type pipeline, IFusedModel model, Func<IInferenceModel> freeze, int batch, bool inputGradient)
    {
        Name = name;
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

    /// <summary>FLOPs of one inference call and one training step of <see cref="ConvBnRelu"/>.</summary>
    public static (long Inference, long Training) ConvBnReluFlops => CountFlops(typeof(ConvBnReluBlock), ConvBnReluBatch, inputGradient: true);

    /// <summary>The case: Conv2d 16→32 3×3 padding 1 + BatchNorm + ReLU on batch 8 × 16×32×32; training computes the input gradient too (as for a block inside a network).</summary>
    public static Workload ConvBnRelu()
    {
        var model = new ConvBnReluBlock(seed: 1);
        return new Workload("Conv2d 16→32 3×3 pad 1 + BatchNorm + ReLU, batch 8 × 16×32×32", typeof(ConvBnReluBlock), model, model.Freeze, ConvBnReluBatch, inputGradient: true);
    }

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

    private static List<LayerAttribute> Layers(Type pipeline) => pipeline.GetCustomAttributes<LayerAttribute>(inherit: false).ToList();

    // The reference interpreter built from the same attributes as the generated class (same state-dict names and shapes).
    private static ReferenceModel ReferenceFor(Type pipeline) =>
        new(pipeline.GetCustomAttribute<FusedPipelineAttribute>()!.InputShape, Layers(pipeline), seed: 0);

    private static (long Inference, long Training) CountFlops(Type pipeline, int batch, bool inputGradient)
    {
        List<LayerAttribute> layers = Layers(pipeline);
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
