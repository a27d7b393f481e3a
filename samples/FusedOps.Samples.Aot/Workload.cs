using System;
using FusedOps.Training;
using static System.FormattableString;

namespace FusedOps.Samples.Aot;

/// <summary>A small CNN: every generated kernel family (conv, BatchNorm, activation, linear) runs.</summary>
[FusedPipeline(3, 12, 12)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[Flatten]
[Linear(4)]
public partial class TinyNet { }

/// <summary>
/// One deterministic round trip through the public API: a training forward and backward, one SGD
/// step, a frozen (BatchNorm-folded) inference, and a checksum over the exact bits of its outputs.
/// The package tests compile this same file three ways (in-repo JIT, NuGet consumer, NativeAOT) and
/// compare the checksums.
/// </summary>
public static class Workload
{
    /// <summary>Samples in the batch.</summary>
    public const int BatchSize = 5;

    /// <summary>Runs the workload and returns one line: <c>checksum 0x… loss … argmax …</c>.</summary>
    public static string Run()
    {
        // Inputs from integer arithmetic only, so the data are bit-identical on every runtime.
        float[] images = new float[BatchSize * TinyNet.InputLength];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = ((i * 7919) % 257) / 128f - 1f;
        }

        int[] labels = new int[BatchSize];
        for (int n = 0; n < BatchSize; n++)
        {
            labels[n] = n % TinyNet.OutputLength;
        }

        var net = new TinyNet(seed: 7);
        var sgd = new Sgd(net.Parameters, learningRate: 0.1f, momentum: 0.9f);
        float[] logits = new float[BatchSize * TinyNet.OutputLength];
        float[] dLogits = new float[logits.Length];

        net.Forward(images, logits, BatchSize);
        float loss = SoftmaxCrossEntropy.Compute(logits, labels, BatchSize, dLogits);
        net.ZeroGrad();
        net.Backward(dLogits, Span<float>.Empty);
        sgd.Step();

        TinyNet.Frozen frozen = net.Freeze();
        frozen.Infer(images, logits, BatchSize);

        // FNV-1a over the IEEE bits: any difference in any output shows.
        ulong hash = 14695981039346656037UL;
        foreach (float value in logits)
        {
            hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211UL;
        }

        int[] argmax = new int[BatchSize];
        for (int n = 0; n < BatchSize; n++)
        {
            argmax[n] = SoftmaxCrossEntropy.Argmax(logits.AsSpan(n * TinyNet.OutputLength, TinyNet.OutputLength));
        }

        return Invariant($"checksum 0x{hash:x16} loss {loss:R} argmax {string.Join(',', argmax)}");
    }
}
