using System;
using System.Linq;
using FusedOps.Benchmarks.Onnx;
using FusedOps.Reference;

namespace FusedOps.Benchmarks;

/// <summary>Issue 7's MLP: Linear 256→512 + LayerNorm + GELU (erf form) → Linear 512→10.</summary>
[FusedPipeline(256)]
[Linear(512)]
[LayerNorm]
[GELU]
[Linear(10)]
public partial class LayerNormGeluMlp
{
}

/// <summary>
/// <see cref="LayerNormGeluMlp"/> at batch 64 with everything the benchmarks time: the generated model, its frozen
/// form, the reference interpreter with the same state, and ONNX Runtime (LayerNormalization and Gelu, opset 20)
/// on the same graph at 1 and 2 intra-op threads.
/// </summary>
public sealed class MlpWorkload : IDisposable
{
    /// <summary>Samples per call.</summary>
    public const int Batch = 64;

    private readonly float[] _output = new float[Batch * LayerNormGeluMlp.OutputLength];
    private readonly float[] _onnxOutput = new float[Batch * LayerNormGeluMlp.OutputLength];

    /// <summary>Builds the models; LayerNorm's γ, β and the biases get non-trivial values (as after training).</summary>
    /// <param name="onnx">Whether to build the ONNX Runtime sessions (false when its native library cannot load).</param>
    public MlpWorkload(bool onnx)
    {
        var random = new Random(11);
        foreach (Parameter p in Model.Parameters.Where(p => p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("weight", StringComparison.Ordinal) ? 0.5f + random.NextSingle() : random.NextSingle() - 0.5f;
            }
        }

        Frozen = Model.Freeze();
        var layers = typeof(LayerNormGeluMlp).GetCustomAttributes(typeof(LayerAttribute), inherit: false).Cast<LayerAttribute>().ToList();
        Reference = new ReferenceModel([LayerNormGeluMlp.InputLength], layers, seed: 0);
        Reference.Parameters.CopyFrom(Model.Parameters);
        Input = [.. Enumerable.Range(0, Batch * LayerNormGeluMlp.InputLength).Select(_ => (random.NextSingle() * 2) - 1)];
        OutputGradient = [.. Enumerable.Range(0, _output.Length).Select(_ => (random.NextSingle() * 2) - 1)];
        if (onnx)
        {
            Onnx1 = new OnnxPipeline(Model, layers, Input, _onnxOutput, Batch, threads: 1);
            Onnx2 = new OnnxPipeline(Model, layers, Input, _onnxOutput, Batch, threads: 2);
        }
    }

    /// <summary>The generated model.</summary>
    public LayerNormGeluMlp Model { get; } = new(seed: 1);

    /// <summary>Its <c>Freeze()</c>.</summary>
    public LayerNormGeluMlp.Frozen Frozen { get; }

    /// <summary>The reference interpreter with the same state.</summary>
    public ReferenceModel Reference { get; }

    /// <summary>ONNX Runtime, 1 and 2 intra-op threads (null without ONNX Runtime).</summary>
    public OnnxPipeline? Onnx1 { get; }

    /// <inheritdoc cref="Onnx1"/>
    public OnnxPipeline? Onnx2 { get; }

    /// <summary>Input batch, uniform in [−1, 1].</summary>
    public float[] Input { get; }

    /// <summary>Output gradient for <c>Backward</c>.</summary>
    public float[] OutputGradient { get; }

    /// <summary>The output of the last FusedOps or reference call.</summary>
    public float[] Output => _output;

    /// <summary>The output of the last ONNX Runtime call.</summary>
    public float[] OnnxOutput => _onnxOutput;

    /// <summary>FLOPs of one inference call (2 per multiply-add of the two Linear layers) and of a training step without the input gradient.</summary>
    public static (long Inference, long Training) Flops
    {
        get
        {
            long first = 2L * Batch * 256 * 512, second = 2L * Batch * 512 * 10;
            return (first + second, (2 * first) + (3 * second));
        }
    }

    /// <summary><c>Frozen.Infer</c>.</summary>
    public void FrozenInfer() => Frozen.Infer(Input, _output, Batch);

    /// <summary>The reference interpreter's inference.</summary>
    public void ReferenceInfer() => Reference.Infer(Input, _output, Batch);

    /// <summary>ZeroGrad + Forward + Backward without the input gradient.</summary>
    public void TrainingStep() => Step(Model);

    /// <summary>The training Forward alone.</summary>
    public void TrainingForward() => Model.Forward(Input, _output, Batch);

    /// <summary>The same step on the reference interpreter.</summary>
    public void ReferenceTrainingStep() => Step(Reference);

    /// <inheritdoc/>
    public void Dispose()
    {
        Onnx1?.Dispose();
        Onnx2?.Dispose();
    }

    private void Step(IFusedModel model)
    {
        model.ZeroGrad();
        model.Forward(Input, _output, Batch);
        model.Backward(OutputGradient, Span<float>.Empty);
    }
}
