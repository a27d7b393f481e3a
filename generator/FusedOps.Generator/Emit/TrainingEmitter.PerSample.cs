using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// Conv2d training passes off the grid (strided, grouped or dilated: <see cref="TrainingConv.OnGrid"/> is false), one sample at a
/// time through the generated kernels. What <see cref="TrainingConv.Apply"/> put in the conv's pass runs on each sample right after
/// its conv (forward) or right before its backward (dZ formed first), while the sample is in cache, through the same runtime kernels
/// as the stage's own pass over the batch (the same bits): the residual add and the activation, or the next group's channel
/// activation or Maxout; with BatchNorm, its input gradient (after the pass of its reductions over the batch).
/// </summary>
internal static partial class TrainingEmitter
{
    /// <summary>The per-sample buffer of the fused stages: a Maxout's z (forward) and dZ (backward), one sample's conv output long.</summary>
    private const string SampleBuffer = "_sample";

    /// <summary>Whether a non-grid Conv2d group's training pass runs more than the conv (and so needs <see cref="SampleBuffer"/>).</summary>
    private static bool FusedPerSample(GroupPlan g) =>
        g.Conv is { } c && !TrainingConv.OnGrid(c) && g.Backward.Count > 0 && g.Backward[g.Backward.Count - 1].Stages.Count > 1;

    private static void WritePerSampleFields(CodeWriter w, PipelineModel m)
    {
        int length = m.AllGroups.Where(FusedPerSample).Select(g => g.OutLength).DefaultIfEmpty(0).Max();
        if (length > 0)
        {
            w.Line($"private readonly float[] {SampleBuffer} = new float[{length}];");
        }
    }

    /// <summary>
    /// z = conv(x) + bias per sample (and the channel sums), then the pass's epilogue on that sample: u = z + saved and act(u),
    /// act(z), the next group's channel activation, or its Maxout (z then lives only in <see cref="SampleBuffer"/>).
    /// </summary>
    private static void WritePerSampleForward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index, length = g.OutLength;
        bool maxout = pass.Has(StageKind.Maxout);
        ChannelActivationLayer? channel = pass.Has(StageKind.ChannelActivation) ? (ChannelActivationLayer)m.Groups[i + 1].Op! : null;
        if (channel is { Kind: ChannelActivationKind.RReLU })
        {
            // Drawn for the whole batch before the first sample: the same stream, the same bits as the layer's own pass.
            DrawChannel(w, m, g);
        }

        w.Line($"ref float w = ref {Field(g.Op!, "Weight")}.Data[0];");
        w.Line($"ref float b = ref {(g.HasBias ? Field(g.Op!, "Bias") + ".Data" : "s_zeros")}[0];");
        w.Line($"Array.Clear(_sum{i});");
        w.Line($"Array.Clear(_sumSq{i});");
        w.Line($"ref double sum = ref _sum{i}[0];");
        w.Line($"ref double sumSq = ref _sumSq{i}[0];");
        w.Line("var identity = default(IdentityOperator);");
        if (pass.Has(StageKind.Activation) || pass.Has(StageKind.Add))
        {
            w.Line($"var act = {g.Operator.New()};");
        }

        int next = maxout ? m.Groups[i + 1].OutLength : length;
        if (maxout)
        {
            StandaloneEmitter.Grow(w, $"_piece{i + 1}", "int", $"n * {next}");
        }

        w.Open("for (int s = 0; s < n; s++)");
        w.Line($"ref float xs = ref {r.Input}[s * {g.InLength}];");
        w.Line(maxout ? $"ref float zs = ref {SampleBuffer}[0];" : $"ref float zs = ref {r.Z}[s * {length}];");
        string unused = g.Conv!.Residual ? ", ref zs" : string.Empty;
        w.Line($"{m.KernelsType}.L{g.Op!.Index}_Conv(identity, ref xs, ref w, ref b, ref b, ref zs, ref _scratch[_scratchAt], true, ref sum, ref sumSq{unused});");
        string o = $"s * {length}";
        if (pass.Has(StageKind.Add))
        {
            w.Line($"ActivationPass.AddForward(act, ref zs, ref {r.Residual}[{o}], ref {r.U ?? r.Output}[{o}], ref {r.Output}[{o}], {length});");
        }
        else if (pass.Has(StageKind.Activation))
        {
            w.Line($"ActivationPass.Forward(act, ref zs, ref {r.Output}[{o}], {length});");
        }
        else if (channel is not null)
        {
            string y = $"ref {m.Buffers.Groups[i + 1].Output}[{o}]", planes = $"1, {g.Channels}, {g.Spatial}";
            w.Line(channel.Kind switch
            {
                ChannelActivationKind.PReLU => $"ChannelActivations.PReluForward(ref zs, {y}, {planes}, {Field(channel, "Weight")}.Data);",
                ChannelActivationKind.RReLU => $"ChannelActivations.RReluApply(ref zs, {y}, _slopes{i + 1}.AsSpan({o}, {length}));",
                _ => $"ChannelActivations.BipolarForward(ref zs, {y}, {planes});",
            });
        }
        else if (maxout)
        {
            int pieces = ((MaxoutLayer)m.Groups[i + 1].Op!).Pieces;
            string at = $"s * {next}";
            w.Line($"ChannelActivations.MaxoutForward(ref zs, ref {m.Buffers.Groups[i + 1].Output}[{at}], ref _piece{i + 1}[{at}], true, 1, {g.Channels / pieces}, {pieces}, {g.Spatial});");
        }

        w.Close();
    }

    /// <summary>
    /// dW (accumulated in the kernels' transposed scratch), dB and dX per sample; with fused stages, each sample's dZ is formed
    /// first from its dY into <see cref="SampleBuffer"/>: BatchNorm's input gradient from dU, act′ at z or u (the residual's share added to the saved tensor's
    /// gradient), the next group's channel activation's derivative (PReLU's slope gradient added), or Maxout's routing of dY to
    /// the winning piece.
    /// </summary>
    private static void WriteConvBackward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        Layer op = g.Op!;
        string k = m.KernelsType;
        int i = g.Index, length = g.OutLength;
        bool fused = pass.Stages.Count > 1;
        int dyLength = pass.Has(StageKind.Maxout) ? m.Groups[i + 1].OutLength : length;
        w.Line($"float[] w = {Field(op, "Weight")}.Data;");
        w.Line($"ref float db = ref {(g.HasBias ? Field(op, "Bias") + ".Grad[0]" : "s_sink[0]")};");
        if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"var act = {g.Operator.New()};");
        }

        w.Line($"{k}.L{op.Index}_WeightGradStart(ref _scratch[_scratchAt]);");
        w.Open("for (int s = 0; s < n; s++)");
        w.Line($"ref float xs = ref {r.Input}[s * {g.InLength}];");
        if (!pass.Has(StageKind.NormInputGradient))
        {
            w.Line($"ref float {(fused ? "dys" : "dzs")} = ref Unsafe.Add(ref dz, s * {dyLength});");
        }

        if (fused)
        {
            WriteSampleGradient(w, m, g, r, pass);
        }

        w.Line($"ref float dxs = ref wantInput ? ref Unsafe.Add(ref dx, s * {g.InLength}) : ref s_sink[0];");
        w.Line($"{k}.L{op.Index}_ConvBackward(ref xs, ref dzs, ref w[0], ref db, {(g.HasBias ? "true" : "false")}, ref dxs, wantInput, ref _scratch[_scratchAt]);");
        w.Close();
        w.Line($"{k}.L{op.Index}_WeightGradFinish(ref _scratch[_scratchAt], ref {Field(op, "Weight")}.Grad[0]);");
    }

    /// <summary>One sample's dZ (<c>dzs</c>) from its dY (<c>dys</c>) through the stages the forward ran after the conv.</summary>
    private static void WriteSampleGradient(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index, length = g.OutLength;
        string o = $"s * {length}", planes = $"1, {g.Channels}, {g.Spatial}";
        if (pass.Has(StageKind.NormInputGradient))
        {
            // dU of the whole batch and its reductions are in place (the pass before): Norm.BackwardApply on this sample only.
            BatchNormLayer norm = g.Norm!;
            w.Line($"ref float dzs = ref {SampleBuffer}[0];");
            w.Line($"Norm.BackwardApply(ref {r.GradU}[{o}], ref {r.Z}[{o}], {planes}, {Data(null, norm, "Weight", norm.Affine)}, _mean{i}, _invStd{i}, _sum{i}, _sumSq{i},");
            w.Line($"    (long)n * {g.Spatial}, ref dzs);");
            return;
        }

        if (pass.Has(StageKind.AddGradient) && !pass.Has(StageKind.ActivationGradient))
        {
            // No activation: dU is dY itself, its share goes to the saved tensor.
            w.Line($"ConvHelpers.Add(ref dys, ref _gradSave{g.Branch!.Slot}[{o}], {length});");
            w.Line("ref float dzs = ref dys;");
            return;
        }

        w.Line($"ref float dzs = ref {SampleBuffer}[0];");
        if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"ActivationPass.Backward(act, ref dys, ref {(pass.Has(StageKind.AddGradient) ? r.U! : r.Z)}[{o}], ref dzs, {length});");
            if (pass.Has(StageKind.AddGradient))
            {
                w.Line($"ConvHelpers.Add(ref dzs, ref _gradSave{g.Branch!.Slot}[{o}], {length});");
            }
        }
        else if (pass.Has(StageKind.ChannelActivation))
        {
            var channel = (ChannelActivationLayer)m.Groups[i + 1].Op!;
            string weight = Field(channel, "Weight");
            w.Line(channel.Kind switch
            {
                ChannelActivationKind.PReLU => $"ChannelActivations.PReluBackward(ref dys, ref {r.Z}[{o}], ref dzs, true, {planes}, {weight}.Data, {weight}.Grad);",
                ChannelActivationKind.RReLU => $"ChannelActivations.RReluBackward(ref dys, ref {r.Z}[{o}], _slopes{i + 1}.AsSpan({o}, {length}), ref dzs);",
                _ => $"ChannelActivations.BipolarBackward(ref dys, ref {r.Z}[{o}], ref dzs, {planes});",
            });
        }
        else if (pass.Has(StageKind.Maxout))
        {
            int pieces = ((MaxoutLayer)m.Groups[i + 1].Op!).Pieces, next = m.Groups[i + 1].OutLength;
            w.Line($"ChannelActivations.MaxoutBackward(ref dys, ref _piece{i + 1}[s * {next}], ref dzs, 1, {g.Channels / pieces}, {pieces}, {g.Spatial});");
        }
    }
}
