using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The inference pass of a Conv2d group, split over threads: several samples are split by sample, one sample by
/// panels (its padded input, in the call's scratch, shared); a layer under 1 MFLOP per thread stays on the calling
/// thread. Each part works in its thread's own scratch, writes disjoint outputs and never reduces across parts, so
/// every thread count gives the same bits.
/// </summary>
internal static partial class InferenceEmitter
{
    private static void WriteConvCall(CodeWriter w, GroupPlan g, Pass pass)
    {
        ConvPlan c = g.Conv!;
        if (c.Im2col)
        {
            WriteIm2colCall(w, g); // InferenceEmitter.Im2col.cs
            return;
        }

        if (c.Lanes)
        {
            WriteLanesCall(w, g); // InferenceEmitter.Lanes.cs: its branch, the direct kernel in the else
            w.Open("else");
        }

        if (c.Winograd || c.Winograd256)
        {
            WriteWinogradCall(w, g); // InferenceEmitter.Winograd.cs: its branch, the direct kernel in the else
            w.Open("else");
        }

        int i = g.Index;
        long flops = 2L * c.OC * c.Kc * c.P;
        // One part per sample, or per four panels' worth of threads for one sample: a thread the OS delays leaves its parts to the others.
        w.Line($"int threads = ParallelWork.ThreadsFor((long)m * {flops}, 1_000_000);");
        w.Line($"int parts = m > 1 ? m : threads > 1 ? Math.Min({(pass.Has(StageKind.Pool) ? c.PoolPanels : ConvEmitter.InferencePanels(c))}, 4 * threads) : 1;");
        if (c.Pad > 0)
        {
            w.Open("if (m == 1 && parts > 1)");
            w.Line(ConvEmitter.GridPad(c, "x", "scratch"));
            w.Close();
            w.Line();
        }

        string res = c.Residual ? "ref res" : "ref x";
        w.Line($"ConvParallel.Run(new G{i}Parts(this, m), ref x, ref y, {res}, ref scratch, parts, threads);");
        if (c.Lanes || c.Winograd || c.Winograd256)
        {
            w.Close();
        }
    }

    /// <summary>
    /// The parameter of the channel activation fused into conv group <paramref name="g"/>, per output channel, after
    /// its shifts: PReLU's slope (one broadcast, or one per channel; copied, so a later step does not change an
    /// inference model already made), RReLU's mean slope, or BipolarReLU's 1 on the odd (negated) channels.
    /// </summary>
    private static void ChannelParameters(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        var layer = (ChannelActivationLayer)m.Groups[g.Index + 1].Op!;
        int oc = g.Channels, i = g.Index;
        string weight = $"model.{TrainingEmitter.Field(layer, "Weight")}.Data";
        w.Line($"// Group {i + 1}'s {layer.Name} runs in group {i}'s epilogue: its parameter per channel follows the shifts.");
        switch (layer.Kind)
        {
            case ChannelActivationKind.PReLU when layer.NumParameters == 1:
                w.Line($"CallBuffers.Fill(_shift{i}.AsSpan({oc}, {oc}), {weight}[0]);");
                break;
            case ChannelActivationKind.PReLU:
                w.Line($"Array.Copy({weight}, 0, _shift{i}, {oc}, {oc});");
                break;
            case ChannelActivationKind.RReLU:
                w.Line($"CallBuffers.Fill(_shift{i}.AsSpan({oc}, {oc}), RReluOperator.InferenceSlope({Literal.Float(layer.Lower)}, {Literal.Float(layer.Upper)}));");
                break;
            default:
                w.Open($"for (int c = 1; c < {oc}; c += 2)");
                w.Line($"_shift{i}[{oc} + c] = 1f;");
                w.Close();
                break;
        }
    }

    private static void WriteConvParts(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        ConvPlan c = g.Conv!;
        if (c.Im2col)
        {
            WriteIm2colPart(w, g); // InferenceEmitter.Im2col.cs
            WritePartsStruct(w, m, g);
            return;
        }

        int i = g.Index, layer = g.Op!.Index;
        bool pooled = g.Inference[0].Has(StageKind.Pool);
        string res = c.Residual ? ", ref res" : string.Empty;
        w.Line($"// Group {i}: part `part` of `parts`: a slice of the samples, or (one sample, input padded by the caller) a slice of its panels.");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_Part(ref float x, ref float y, ref float res, ref float scratch, int m, int part, int parts)");
        w.Line($"var act = {(g.Inference[0].Has(StageKind.Activation) ? g.Operator.New() : "default(IdentityOperator)")};");
        string weights = $"ref _w{i}[0], ref _scale{i}[0], ref _shift{i}[0]";
        w.Open("if (m == 1 && parts > 1)");
        bool grid = !pooled && ConvEmitter.UsesGrid(c);
        w.Line($"(int pb0, int pb1) = ParallelWork.Slice({(pooled ? c.PoolPanels : ConvEmitter.InferencePanels(c))}, parts, part);");
        w.Line($"ref float panel = ref ConvParallel.ThreadScratch(Scratch);");
        string xp = c.Pad > 0 ? "ref scratch" : "ref x";
        w.Line(pooled
            ? $"{m.KernelsType}.L{layer}_PoolPanels(act, {xp}, {weights}, ref y, ref panel, pb0, pb1{res});"
            : grid ? $"{m.KernelsType}.L{layer}_GridPanels(act, {xp}, {weights}, ref y, ref panel, pb0, pb1{res});"
            : $"{m.KernelsType}.L{layer}_Panels(act, {xp}, {weights}, ref y, ref panel, false, ref s_sink[0], ref s_sink[0], pb0, pb1{res});");
        w.Line("return;");
        w.Close();
        w.Line();
        w.Line("(int s0, int s1) = ParallelWork.Slice(m, parts, part);");
        w.Line("ref float sc = ref ConvParallel.ThreadScratch(Scratch);");
        bool single = !pooled && grid && SingleChannel(c);
        if (single)
        {
            w.Line("bool single = SingleChannelConv.Enabled256;");
        }

        w.Open("for (int s = s0; s < s1; s++)");
        w.Line($"ref float xs = ref Unsafe.Add(ref x, s * {g.InLength});");
        w.Line($"ref float ys = ref Unsafe.Add(ref y, s * {c.InferenceOutLength});");
        if (single)
        {
            // One input channel, 3 × 3 (a grey image's first layer): rows of 8-pixel vectors at 256 bits, the same sums (SingleChannelConv).
            w.Open("if (single)");
            w.Line($"SingleChannelConv.Run3x3(act, ref xs, {c.H}, {c.W}, {c.OC}, {weights}, ref ys, ref sc);");
            w.Line("continue;");
            w.Close();
            w.Line();
        }

        string rs = string.Empty;
        if (c.Residual)
        {
            w.Line($"ref float rs = ref Unsafe.Add(ref res, s * {g.OutLength});");
            rs = ", ref rs";
        }

        w.Line(pooled
            ? $"{m.KernelsType}.L{layer}_ConvPool(act, ref xs, {weights}, ref ys, ref sc{rs});"
            : grid ? $"{m.KernelsType}.L{layer}_GridConv(act, ref xs, {weights}, ref ys, ref sc{rs});"
            : $"{m.KernelsType}.L{layer}_Conv(act, ref xs, {weights}, ref ys, ref sc, false, ref s_sink[0], ref s_sink[0]{rs});");
        w.Close();
        w.Close();
        w.Line();
        WritePartsStruct(w, m, g);
        if (c.Lanes)
        {
            WriteLanesPart(w, m, g); // InferenceEmitter.Lanes.cs
        }

        if (c.Winograd || c.Winograd256)
        {
            WriteWinogradPart(w, m, g); // InferenceEmitter.Winograd.cs
        }
    }

    /// <summary>
    /// Whether the per-sample inference of <paramref name="c"/> runs the runtime's SingleChannelConv at 256 bits: one input
    /// channel, 3 × 3, stride 1, padding 1, rows of at least 8 pixels, a plain epilogue (no residual, pool, channel activation
    /// or Maxout). The padded plane fits the scratch the grid kernel pads into.
    /// </summary>
    private static bool SingleChannel(ConvPlan c) =>
        c.C == 1 && c.Groups == 1 && c.K == 3 && c.Stride == 1 && c.Pad == 1 && c.Dilation == 1 && c.W >= 8 && c.OH == c.H && c.OW == c.W
        && !c.Residual && c.PoolKernel == 0 && c.Channel == ChannelEpilogue.None && c.MaxoutPieces == 0;

    /// <summary>The parts struct of group <paramref name="g"/>'s <c>G{i}_{route}Part</c>, named <c>G{i}{route}Parts</c>.</summary>
    private static void WritePartsStruct(CodeWriter w, PipelineModel m, GroupPlan g, string route = "")
    {
        int i = g.Index;
        w.Summary($"Group {i}'s convolution as parts for ConvParallel{(route.Length > 0 ? $" ({route} route)" : string.Empty)}.");
        w.Open($"private readonly struct G{i}{route}Parts : IConvParts");
        w.Line($"private readonly {m.InferenceType} _model;");
        w.Line("private readonly int _m;");
        w.Line();
        w.Line($"public G{i}{route}Parts({m.InferenceType} model, int m) => (_model, _m) = (model, m);");
        w.Line();
        w.Line("public void Run(ref float x, ref float y, ref float res, ref float scratch, int part, int parts) =>");
        w.Line($"    _model.G{i}_{route}Part(ref x, ref y, ref res, ref scratch, _m, part, parts);");
        w.Close();
        w.Line();
    }
}
