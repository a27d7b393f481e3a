using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The Winograd inference route: Infer (the direct kernel) and Frozen.Infer (the route at 512 and 256 bits, the direct kernel at the
/// other widths) match the reference at every kernel width and give the same bits at 1, 2 and 3 threads (one sample split by
/// tile rows, several by sample), with padding 1 and 0, odd heights and widths, with and without BatchNorm, on both register
/// blocks (64 and 32 output channels); and the 256-bit-only route with a residual and a MaxPool2d(2) in its epilogue.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradConvRouteTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            foreach (string pipeline in new[] { nameof(WinogradPad1), nameof(WinogradNoPad), nameof(WinogradNarrowInference), nameof(WinogradResidualPool256), nameof(WinogradPool256Small), nameof(Winograd43Wide), nameof(Winograd43Paired) })
            {
                foreach (int batch in new[] { 1, 3 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inference_MatchesReference_AndIsBitwiseIdentical_AtOneTwoAndThreeThreads(string pipeline, int vectorBits, int batch) =>
        ConvParallelTests.AssertSameBitsAtThreadCounts(pipeline, vectorBits, batch, 2, 3);

    /// <summary>Frozen.Infer on the route allocates nothing once warm, on one sample split over threads and on several.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FrozenInfer_AllocatesNothing_InSteadyState(int batch) => KernelLevelCollection.AtLevel(512, () =>
    {
        var model = new WinogradPad1(1);
        var frozen = model.Freeze();
        float[] x = new float[batch * WinogradPad1.InputLength], y = new float[batch * WinogradPad1.OutputLength];
        void Step() => frozen.Infer(x, y, batch);
        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    });

    /// <summary>The folded models hold transformed weights (the route is planned), the unfolded ones none (no per-call transform).</summary>
    [Theory]
    [InlineData(typeof(WinogradPad1), 64, 64)]
    [InlineData(typeof(WinogradNoPad), 80, 64)]
    [InlineData(typeof(WinogradPool256Small), 16, 32, 256)]
    public void FrozenModels_HoldTheTransformedWeights(System.Type type, int channels, int outChannels, int vectorBits = 512) =>
        KernelLevelCollection.AtLevel(vectorBits, () => HoldsTheTransformedWeights(type, channels, outChannels));

    /// <summary>
    /// Case C's kind of layer (64 → 64 on rows of 56 or more) and case B's (16 → 32 on rows of 32 or more) hold the F(4 × 4, 3 × 3)
    /// weights their 256-bit route reads (36 per input and output channel) where that route can run, and then not the F(2 × 2, 3 × 3)
    /// weights (16 per pair) of 512 bits; elsewhere those only.
    /// </summary>
    [Theory]
    [MemberData(nameof(WideCases))]
    public void WideLayers_HoldOneTransformOfTheWeights(System.Type type, int channels, int outChannels, int vectorBits) =>
        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            var model = (IFusedModel)System.Activator.CreateInstance(type, 1)!;
            object frozen = type.GetMethod("Freeze")!.Invoke(model, null)!;
            object inference = frozen.GetType().GetFields(Private).Select(f => f.GetValue(frozen)).Single(v => v?.GetType().GetField("_wf0", Private) is not null)!;
            object? fourByFour = inference.GetType().GetField("_wf0", Private)!.GetValue(inference);
            object? twoByTwo = inference.GetType().GetField("_wg0", Private)!.GetValue(inference);
            if (WinogradConv.Enabled256)
            {
                Assert.Equal(36 * channels * outChannels, Assert.IsType<float[]>(fourByFour).Length);
                Assert.Null(twoByTwo);
                return;
            }

            Assert.Null(fourByFour);
            Assert.Equal(16 * channels * outChannels, Assert.IsType<float[]>(twoByTwo).Length);
        });

    public static IEnumerable<object[]> WideCases() =>
        from row in new[] { (typeof(Winograd43Wide), 64, 64), (typeof(Winograd43Paired), 16, 32), (typeof(WinogradNarrowInference), 16, 32) }
        from bits in new[] { 512, 256, 128 }
        select new object[] { row.Item1, row.Item2, row.Item3, bits };

    /// <summary>
    /// A model of case C's kind frozen at one width and run at another takes a route the width of the call can run: the direct kernel at
    /// 512 bits when only the F(4 × 4, 3 × 3) weights were made (frozen at 256), F(2 × 2, 3 × 3) at 256 bits when only its weights were
    /// (frozen at 512): in each case the same output as the model frozen at the width of the call, within the 1e-5 the routes are held to.
    /// </summary>
    [Theory]
    [InlineData(256, 512)]
    [InlineData(512, 256)]
    [InlineData(256, 128)]
    public void WideLayers_FrozenAtOneWidth_RunAtAnother(int frozenAt, int runAt)
    {
        var model = new Winograd43Wide(1);
        var rng = new System.Random(11);
        float[] x = Enumerable.Range(0, 2 * Winograd43Wide.InputLength).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        IInferenceModel frozen = null!, native = null!;
        KernelLevelCollection.AtLevel(frozenAt, () => frozen = model.Freeze());
        KernelLevelCollection.AtLevel(runAt, () =>
        {
            native = model.Freeze();
            float[] expected = new float[2 * Winograd43Wide.OutputLength], actual = new float[expected.Length];
            native.Infer(x, expected, 2);
            frozen.Infer(x, actual, 2);
            double error = System.Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum() / expected.Sum(e => (double)e * e));
            Assert.True(error < 1e-5, $"frozen at {frozenAt} bits, run at {runAt}: normwise difference {error:E2} from the model frozen at {runAt}");
        });
    }

    private const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic;

    private static void HoldsTheTransformedWeights(System.Type type, int channels, int outChannels)
    {
        var model = (IFusedModel)System.Activator.CreateInstance(type, 1)!;
        object frozen = type.GetMethod("Freeze")!.Invoke(model, null)!;

        // Frozen wraps the generated inference model; the route's field is on that.
        object inference = frozen.GetType().GetFields(Private).Select(f => f.GetValue(frozen)).Single(v => v?.GetType().GetField("_wg0", Private) is not null)!;
        object? weights = inference.GetType().GetField("_wg0", Private)!.GetValue(inference);
        if (type == typeof(WinogradPool256Small) && !WinogradConv.Enabled256)
        {
            // The 256-bit-only route transforms its weights only where it can run (AVX2 + FMA).
            Assert.Null(weights);
            return;
        }

        var packed = Assert.IsType<float[]>(weights);
        Assert.Equal(16 * channels * outChannels, packed.Length);
    }
}
