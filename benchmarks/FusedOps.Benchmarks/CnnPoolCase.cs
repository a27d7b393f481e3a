using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedOps.Reference;

namespace FusedOps.Benchmarks;

/// <summary>Case P: Conv2d 16→32 3×3 (padding 1) + BatchNorm + ReLU + MaxPool2d(2) on 32×32 images (batch 8); the planner runs the conv on Winograd (at 512 and 256 bits) and the pool in its own pass, not in the conv's epilogue.</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class ConvPoolBlock
{
}

/// <summary>Case P with the pool in a pass of its own: the <c>Save</c> of the conv output keeps the planner from fusing it.</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("conv")]
[MaxPool2d(2)]
public partial class ConvThenPoolBlock
{
}

/// <summary>Case P3: case P with MaxPool2d(3) (pooled 10×10: the last two rows and columns dropped), pooled over bands in the conv's pass.</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(3)]
public partial class ConvPool3Block
{
}

/// <summary>Case P3 with the pool in a pass of its own (the <c>Save</c> keeps the planner from fusing it).</summary>
[FusedPipeline(16, 32, 32)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("conv")]
[MaxPool2d(3)]
public partial class ConvThenPool3Block
{
}

/// <summary>The convolutions of samples/FusedOps.Samples.FashionMnist (batch 64), with the residual Add of its second block.</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[MaxPool2d(2)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class FashionConvs
{
}

/// <summary><see cref="FashionConvs"/> without the Add: what the residual costs.</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
public partial class FashionConvsNoAdd
{
}

/// <summary>The whole network of samples/FusedOps.Samples.FashionMnist (with its Linear head and Dropout).</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Save("a")]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[Add("a")]
[ReLU]
[MaxPool2d(2)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Linear(128)]
[ReLU]
[Dropout(P = 0.25f)]
[Linear(10)]
public partial class FashionNetCopy
{
}

/// <summary><see cref="FashionNetCopy"/> without the Add.</summary>
[FusedPipeline(1, 28, 28)]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Conv2d(16, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Conv2d(32, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Linear(128)]
[ReLU]
[Dropout(P = 0.25f)]
[Linear(10)]
public partial class FashionNetCopyNoAdd
{
}

/// <summary>One CNN model ready to time: the generated model frozen, the reference with the same state, input and output.</summary>
public sealed class CnnCase
{
    /// <summary>Gives <paramref name="model"/> non-trivial per-channel state, freezes it and draws an input batch.</summary>
    public CnnCase(IFusedModel model, Func<IInferenceModel> freeze, int batch)
    {
        Model = model;
        Batch = batch;
        var random = new Random(11);
        foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + random.NextSingle() : random.NextSingle() - 0.5f;
            }
        }

        Frozen = freeze();
        Input = Enumerable.Range(0, batch * model.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        Output = new float[batch * model.OutputLength];
        Layers = model.GetType().GetCustomAttributes<LayerAttribute>(inherit: false).ToList();
        Flops = CountFlops();
    }

    /// <summary>The generated model.</summary>
    public IFusedModel Model { get; }

    /// <summary>Its <c>Freeze()</c>.</summary>
    public IInferenceModel Frozen { get; }

    /// <summary>Samples per call.</summary>
    public int Batch { get; }

    /// <summary>Input batch, uniform in [−1, 1].</summary>
    public float[] Input { get; }

    /// <summary>Output of the last call.</summary>
    public float[] Output { get; }

    /// <summary>The pipeline's layer attributes, in order.</summary>
    public List<LayerAttribute> Layers { get; }

    /// <summary>2 per multiply-add of every Conv2d.</summary>
    public long Flops { get; }

    /// <summary><c>Frozen.Infer</c> on the batch.</summary>
    public void FrozenInfer() => Frozen.Infer(Input, Output, Batch);

    /// <summary>The reference interpreter's output on the same state and input.</summary>
    public float[] ReferenceOutput()
    {
        var reference = new ReferenceModel(Model.GetType().GetCustomAttribute<FusedPipelineAttribute>()!.InputShape, Layers, seed: 0);
        reference.Parameters.CopyFrom(Model.Parameters);
        reference.Buffers.CopyFrom(Model.Buffers);
        float[] expected = new float[Output.Length];
        reference.Infer(Input, expected, Batch);
        return expected;
    }

    private long CountFlops()
    {
        var reference = new ReferenceModel(Model.GetType().GetCustomAttribute<FusedPipelineAttribute>()!.InputShape, Layers, seed: 0);
        long flops = 0;
        for (int i = 0; i < Layers.Count; i++)
        {
            if (Layers[i] is Conv2dAttribute)
            {
                int[] shape = reference.LayerOutputShapes[i];
                flops += 2L * reference.Parameters[$"{i}.weight"].Length * shape[1] * shape[2] * Batch;
            }
        }

        return flops;
    }
}
