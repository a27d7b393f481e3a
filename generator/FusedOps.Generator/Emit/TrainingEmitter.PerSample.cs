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
/// The samples are cut into parts (<c>PartSums.Parts</c>: a function of the batch and the layer only) run by
/// <c>ConvParallel</c> on up to <c>KernelOptions.MaxDegreeOfParallelism</c> threads, each in its thread's aligned scratch; a part
/// adds its samples in order into its own channel sums, weight, bias and PReLU slope gradients, and these are added in part
/// order after the parts, so any thread count gives the same bits.
/// </summary>
internal static partial class TrainingEmitter
{
    /// <summary>Floats after the kernels' scratch for one sample's fused stages: a Maxout's z (forward) and dZ (backward).</summary>
    private const string SampleLength = "SampleLength";

    /// <summary>Whether a non-grid Conv2d group's training pass runs more than the conv (and so needs the sample's floats).</summary>
    private static bool FusedPerSample(GroupPlan g) =>
        g.Conv is { } c && !TrainingConv.OnGrid(c) && g.Backward.Count > 0 && g.Backward[g.Backward.Count - 1].Stages.Count > 1;

    private static bool PerSample(GroupPlan g) => g.Conv is { } c && !TrainingConv.OnGrid(c) && g.Forward.Count > 0;

    private static int SampleFloats(PipelineModel m) => m.AllGroups.Where(FusedPerSample).Select(g => g.OutLength).DefaultIfEmpty(0).Max();

    private static void WritePerSampleFields(CodeWriter w, PipelineModel m)
    {
        if (SampleFloats(m) is int length and > 0)
        {
            w.Line($"private const int {SampleLength} = {length};");
        }

        foreach (GroupPlan g in m.AllGroups.Where(PerSample))
        {
            // Per part: the channel sums (fixed size), the weight, bias and PReLU slope gradients (grown to the parts in use).
            w.Line($"private readonly double[] _partSums{g.Index} = new double[PartSums.MaxParts * {2 * g.Channels}];");
            w.Line($"private float[] _partDw{g.Index} = Array.Empty<float>();");
            if (g.HasBias)
            {
                w.Line($"private float[] _partDb{g.Index} = Array.Empty<float>();");
            }

            if (SlopeGradient(m, g, g.Backward.First(p => p.Kind == PassKind.Anchor)) is not null)
            {
                w.Line($"private float[] _partSlope{g.Index} = Array.Empty<float>();");
            }
        }
    }

    /// <summary>This thread's scratch: the kernels' (padded input, panels, transposed weight gradient), then the sample's floats.</summary>
    private static string ThreadScratch(PipelineModel m) =>
        $"ref float sc = ref ConvParallel.ThreadScratch(Scratch{(SampleFloats(m) > 0 ? " + " + SampleLength : string.Empty)});";

    /// <summary>
    /// The forward pass: RReLU's slopes drawn for the batch (the same stream, the same bits as the layer's own pass), the parts
    /// run, and the channel sums added in part order.
    /// </summary>
    private static void WritePerSampleForward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index;
        if (pass.Has(StageKind.ChannelActivation) && ((ChannelActivationLayer)m.Groups[i + 1].Op!).Kind == ChannelActivationKind.RReLU)
        {
            DrawChannel(w, m, g);
        }

        if (pass.Has(StageKind.Maxout))
        {
            StandaloneEmitter.Grow(w, $"_piece{i + 1}", "int", $"n * {m.Groups[i + 1].OutLength}");
        }

        long flops = 2L * g.Conv!.OC * g.Conv.Kc * g.Conv.P;
        w.Line($"int parts = PartSums.Parts(n, {flops});");
        w.Line($"ConvParallel.Run(new G{i}TrainParts(this, n, false, false), ref s_sink[0], ref s_sink[0], ref s_sink[0], ref s_sink[0], parts, PartSums.Threads(n, {flops}));");
        w.Line($"PartSums.Sum(_partSums{i}, parts, _sum{i}, _sumSq{i});");
    }

    /// <summary>
    /// The backward pass: the partial gradients grown to the parts, the parts run (dZ and dX handed through ConvParallel, which
    /// pins them), and the partials added to the gradients in part order.
    /// </summary>
    private static void WriteConvBackward(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index;
        ConvPlan c = g.Conv!;
        long flops = 4L * c.OC * c.Kc * c.P;
        w.Line($"int parts = PartSums.Parts(n, {flops});");
        StandaloneEmitter.Grow(w, $"_partDw{i}", "float", $"parts * {c.OC * c.Kc}");
        if (g.HasBias)
        {
            StandaloneEmitter.Grow(w, $"_partDb{i}", "float", $"parts * {c.OC}");
        }

        string? slope = SlopeGradient(m, g, pass);
        if (slope is not null)
        {
            StandaloneEmitter.Grow(w, $"_partSlope{i}", "float", $"parts * {slope}.Grad.Length");
        }

        w.Line($"ConvParallel.Run(new G{i}TrainParts(this, n, true, wantInput), ref dz, ref dx, ref dz, ref dz, parts, PartSums.Threads(n, {flops}));");
        w.Line($"PartSums.AddTo(_partDw{i}, parts, {Field(g.Op!, "Weight")}.Grad);");
        if (g.HasBias)
        {
            w.Line($"PartSums.AddTo(_partDb{i}, parts, {Field(g.Op!, "Bias")}.Grad);");
        }

        if (slope is not null)
        {
            w.Line($"PartSums.AddTo(_partSlope{i}, parts, {slope}.Grad);");
        }
    }

    /// <summary>The PReLU whose slope gradient the conv's backward accumulates (the next group's, fused), or null.</summary>
    private static string? SlopeGradient(PipelineModel m, GroupPlan g, Pass pass) =>
        pass.Has(StageKind.ChannelActivation) && m.Groups[g.Index + 1].Op is ChannelActivationLayer { Kind: ChannelActivationKind.PReLU } prelu
            ? Field(prelu, "Weight") : null;

    /// <summary>A per-sample conv group's part methods (forward and backward) and the struct ConvParallel runs them through.</summary>
    private static void WritePerSampleParts(CodeWriter w, PipelineModel m, GroupPlan g)
    {
        if (!PerSample(g))
        {
            return;
        }

        GroupBuffers r = m.Buffers.Groups[g.Index];
        WriteForwardPart(w, m, g, r, g.Forward.First(p => p.Kind == PassKind.Anchor));
        WriteBackwardPart(w, m, g, r, g.Backward.First(p => p.Kind == PassKind.Anchor));
        int i = g.Index;
        w.Summary($"Group {i}'s per-sample Conv2d training loop as parts for ConvParallel: forward, or backward (dZ in x, dX in y).");
        w.Open($"private readonly struct G{i}TrainParts : IConvParts");
        w.Line($"private readonly {m.TrainingType} _model;");
        w.Line("private readonly int _n;");
        w.Line("private readonly bool _backward, _wantInput;");
        w.Line();
        w.Line($"public G{i}TrainParts({m.TrainingType} model, int n, bool backward, bool wantInput) =>");
        w.Line("    (_model, _n, _backward, _wantInput) = (model, n, backward, wantInput);");
        w.Line();
        w.Open("public void Run(ref float x, ref float y, ref float res, ref float scratch, int part, int parts)");
        w.Open("if (_backward)");
        w.Line($"_model.G{i}_BackwardPart(ref x, ref y, _wantInput, _n, part, parts);");
        w.Close();
        w.Open("else");
        w.Line($"_model.G{i}_ForwardPart(_n, part, parts);");
        w.Close();
        w.Close();
        w.Close();
        w.Line();
    }

    /// <summary>
    /// One part's samples: z = conv(x) + bias per sample (and the part's channel sums), then the pass's epilogue on that sample:
    /// u = z + saved and act(u), act(z), the next group's channel activation, or its Maxout (z then lives only in the scratch).
    /// </summary>
    private static void WriteForwardPart(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        int i = g.Index, length = g.OutLength, oc = g.Channels;
        bool maxout = pass.Has(StageKind.Maxout);
        ChannelActivationLayer? channel = pass.Has(StageKind.ChannelActivation) ? (ChannelActivationLayer)m.Groups[i + 1].Op! : null;
        w.Line($"// Group {i} training forward, samples of part `part` of `parts`.");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_ForwardPart(int n, int part, int parts)");
        w.Line("(int s0, int s1) = ParallelWork.Slice(n, parts, part);");
        w.Line(ThreadScratch(m));
        w.Line($"ref float w = ref {Field(g.Op!, "Weight")}.Data[0];");
        w.Line($"ref float b = ref {(g.HasBias ? Field(g.Op!, "Bias") + ".Data" : "s_zeros")}[0];");
        w.Line($"ref double sum = ref _partSums{i}[part * {2 * oc}];");
        w.Line($"ref double sumSq = ref Unsafe.Add(ref sum, {oc});");
        w.Line($"MemoryMarshal.CreateSpan(ref sum, {2 * oc}).Clear();");
        w.Line("var identity = default(IdentityOperator);");
        if (pass.Has(StageKind.Activation) || pass.Has(StageKind.Add))
        {
            w.Line($"var act = {g.Operator.New()};");
        }

        int next = maxout ? m.Groups[i + 1].OutLength : length;
        w.Open("for (int s = s0; s < s1; s++)");
        w.Line($"ref float xs = ref {r.Input}[s * {g.InLength}];");
        w.Line(maxout ? $"ref float zs = ref Unsafe.Add(ref sc, Scratch);" : $"ref float zs = ref {r.Z}[s * {length}];");
        string unused = g.Conv!.Residual ? ", ref zs" : string.Empty;
        w.Line($"{m.KernelsType}.L{g.Op!.Index}_Conv(identity, ref xs, ref w, ref b, ref b, ref zs, ref sc, true, ref sum, ref sumSq{unused});");
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
        w.Close();
        w.Line();
    }

    /// <summary>
    /// One part's samples: dW (accumulated in the kernels' transposed scratch, then into the part's partial), dB (the part's
    /// partial) and dX per sample; with fused stages, each sample's dZ is formed first from its dY in the scratch: BatchNorm's
    /// input gradient from dU, act′ at z or u (the residual's share added to the saved tensor's gradient), the next group's channel
    /// activation's derivative (PReLU's slope gradient into the part's partial), or Maxout's routing of dY to the winning piece.
    /// </summary>
    private static void WriteBackwardPart(CodeWriter w, PipelineModel m, GroupPlan g, GroupBuffers r, Pass pass)
    {
        Layer op = g.Op!;
        string k = m.KernelsType;
        ConvPlan c = g.Conv!;
        int i = g.Index;
        bool fused = pass.Stages.Count > 1;
        int dyLength = pass.Has(StageKind.Maxout) ? m.Groups[i + 1].OutLength : g.OutLength;
        w.Line($"// Group {i} backward, samples of part `part` of `parts`: dz is the gradient at the pass's output, dx the input's.");
        w.Line(ConvEmitter.FullyOptimised);
        w.Open($"private void G{i}_BackwardPart(ref float dz, ref float dx, bool wantInput, int n, int part, int parts)");
        w.Line("(int s0, int s1) = ParallelWork.Slice(n, parts, part);");
        w.Line(ThreadScratch(m));
        w.Line($"float[] w = {Field(op, "Weight")}.Data;");
        w.Line($"ref float dw = ref _partDw{i}[part * {c.OC * c.Kc}];");
        w.Line($"MemoryMarshal.CreateSpan(ref dw, {c.OC * c.Kc}).Clear();");
        if (g.HasBias)
        {
            w.Line($"ref float db = ref _partDb{i}[part * {c.OC}];");
            w.Line($"MemoryMarshal.CreateSpan(ref db, {c.OC}).Clear();");
        }
        else
        {
            w.Line("ref float db = ref s_sink[0];");
        }

        if (SlopeGradient(m, g, pass) is { } slope)
        {
            w.Line($"Span<float> slopeGrad = _partSlope{i}.AsSpan(part * {slope}.Grad.Length, {slope}.Grad.Length);");
            w.Line("slopeGrad.Clear();");
        }

        if (pass.Has(StageKind.ActivationGradient))
        {
            w.Line($"var act = {g.Operator.New()};");
        }

        w.Line($"{k}.L{op.Index}_WeightGradStart(ref sc);");
        w.Open("for (int s = s0; s < s1; s++)");
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
        w.Line($"{k}.L{op.Index}_ConvBackward(ref xs, ref dzs, ref w[0], ref db, {(g.HasBias ? "true" : "false")}, ref dxs, wantInput, ref sc);");
        w.Close();
        w.Line($"{k}.L{op.Index}_WeightGradFinish(ref sc, ref dw);");
        w.Close();
        w.Line();
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
            w.Line("ref float dzs = ref Unsafe.Add(ref sc, Scratch);");
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

        w.Line("ref float dzs = ref Unsafe.Add(ref sc, Scratch);");
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
                ChannelActivationKind.PReLU => $"ChannelActivations.PReluBackward(ref dys, ref {r.Z}[{o}], ref dzs, true, {planes}, {weight}.Data, slopeGrad);",
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
