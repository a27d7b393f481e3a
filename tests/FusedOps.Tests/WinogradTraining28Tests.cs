using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The training route on rows of 14 and 15 tiles, which take it at 256 bits since <see cref="WinogradConv.MinTrainingTiles256"/>
/// is 14 (the Fashion-MNIST network's 16 → 16 layers on 28 × 28): <see cref="Conv2dTrainer"/> bitwise the same at 1 and 2
/// threads, each product's route being <see cref="WinogradConv.TrainingRuns"/> of its shape (its values against double loops are
/// <c>WinogradTrainingTests.Trainer_MatchesDoubleLoops_AndReportsItsRoute</c>'s).
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradTraining28Tests
{
    private static readonly int[] Widths = new[] { 512, 256, 128 }.Where(b => b <= KernelDispatch.HardwareBits).ToArray();

    /// <summary>
    /// The Fashion-MNIST network's 16 → 16 layer on 28 × 28 and a 15-tile odd-height 16 → 20 one through <see cref="Conv2dTrainer"/>: the
    /// forward output, channel sums, weight gradient and input gradient bitwise the same at 1 and 2 threads (batch 5: parts of
    /// unequal size), the route each product took being <see cref="WinogradConv.TrainingRuns"/> of its shape.
    /// </summary>
    [Theory]
    [InlineData(16, 28, 28, 16)]
    [InlineData(16, 27, 30, 20)]
    public void Trainer_FourteenTileRows_SameBitsAtOneAndTwoThreads(int c, int h, int w, int oc)
    {
        foreach (int bits in Widths)
        {
            const int n = 5;
            var random = new Random(c + h + w + oc);
            float[] x = Enumerable.Range(0, n * c * h * w).Select(_ => random.NextSingle() - 0.5f).ToArray();
            float[] weight = Enumerable.Range(0, oc * c * 9).Select(_ => random.NextSingle() - 0.5f).ToArray();
            float[] bias = Enumerable.Range(0, oc).Select(_ => random.NextSingle() - 0.5f).ToArray();
            float[] dz = Enumerable.Range(0, n * oc * h * w).Select(_ => random.NextSingle() - 0.5f).ToArray();
            List<float[]>? first = null;
            List<double[]>? firstSums = null;
            foreach (int threads in new[] { 1, 2 })
            {
                float[] z = new float[dz.Length], dx = new float[x.Length], dw = new float[weight.Length], db = new float[oc];
                double[] sum = new double[oc], sumSq = new double[oc];
                KernelLevelCollection.AtLevel(bits, () => KernelLevelCollection.AtThreads(threads, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                    Assert.Equal(Conv2dTrainer.WinogradEnabled && (WinogradConv.TrainingRuns(new WinogradShape(c, oc, h, w)) || Runs128(w)), trainer.ForwardOnWinograd);
                    trainer.Backward(x, ref dz[0], weight, dw, db, ref dx[0], true, n);
                    Assert.Equal(Conv2dTrainer.WinogradEnabled && (WinogradConv.TrainingRuns(new WinogradShape(oc, c, h, w)) || Runs128(w)), trainer.InputGradientOnWinograd);
                }));
                var values = new List<float[]> { z, dx, dw, db };
                first ??= values;
                firstSums ??= [sum, sumSq];
                Assert.Equal(firstSums[0].Select(BitConverter.DoubleToInt64Bits), sum.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(firstSums[1].Select(BitConverter.DoubleToInt64Bits), sumSq.Select(BitConverter.DoubleToInt64Bits));
                for (int i = 0; i < values.Count; i++)
                {
                    Assert.True(
                        first[i].Select(BitConverter.SingleToInt32Bits).SequenceEqual(values[i].Select(BitConverter.SingleToInt32Bits)),
                        $"{bits} bits, {threads} threads: value {i} differs from 1 thread's");
                }
            }
        }
    }

    // At 128 bits the products of rows of 7 or 8 F(4 × 4, 3 × 3) tiles take WinogradConv.F43x128.cs (these shapes' 16 channels).
    private static bool Runs128(int w) => WinogradConv.Enabled128 && (w + 3) / 4 is 7 or 8;
}
