using System.Collections.Generic;
using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// The generated training model <c>{Flat}_Training</c>: the parameters and buffers, Forward (batch
/// statistics), Backward (accumulating gradients), and one forward and one backward method per group,
/// each a sequence of the group's planned passes.
/// </summary>
internal static partial class TrainingEmitter
{
    public static string Write(PipelineModel m)
    {
        CodeWriter w = KernelFile.Open(m, "training model");
        w.Summary($"Training state of {m.FullName}: parameters, running statistics, and what Backward needs from the last Forward.");
        KernelFile.TypeAttributes(w);
        w.Open($"internal sealed class {m.TrainingType}");
        WriteConstants(w, m);
        WriteFields(w, m);
        WriteConstructor(w, m);
        WriteEntryPoints(w, m);
        WriteEnsure(w, m);
        // A group whose work runs in the previous group's Conv2d (TrainingConv) has no methods of its own; a pool whose forward runs
        // in the previous group's normalise pass (TrainingNormFusion) only its backward.
        foreach (GroupPlan g in m.AllGroups.Where(g => g.Forward.Count > 0 || g.Backward.Count > 0))
        {
            if (g.Forward.Count > 0)
            {
                WriteGroupForward(w, m, g);
            }

            WriteGroupBackward(w, m, g);
            WritePerSampleParts(w, m, g);
        }

        w.Close();
        return KernelFile.Close(w);
    }

    /// <summary>
    /// The state-dict tensors of every layer, in order: field, key, shape, whether it is learnable, and its
    /// initialisation (fan-in for U(±1/√fan_in), −1 for ones, 0 for zeros).
    /// </summary>
    internal static IEnumerable<(string Field, string Name, string Shape, bool Grad, int Init)> Tensors(PipelineModel m)
    {
        foreach (Layer l in m.Layers)
        {
            Shape input = l.Index == 0 ? m.Input : m.Shapes[l.Index - 1];
            if (WeightFormEmitter.Tensors(l, input) is { } owned)
            {
                foreach (var t in owned)
                {
                    yield return t;
                }

                continue;
            }

            switch (l)
            {
                case Conv2dLayer conv:
                    int fanIn = input.C / conv.Groups * conv.KernelSize * conv.KernelSize;
                    yield return (Field(l, "Weight"), $"{l.Index}.weight", $"{conv.OutChannels}, {input.C / conv.Groups}, {conv.KernelSize}, {conv.KernelSize}", true, fanIn);
                    if (conv.Bias)
                    {
                        yield return (Field(l, "Bias"), $"{l.Index}.bias", $"{conv.OutChannels}", true, fanIn);
                    }

                    break;
                case LinearLayer linear:
                    yield return (Field(l, "Weight"), $"{l.Index}.weight", $"{linear.OutFeatures}, {input.Length}", true, input.Length);
                    if (linear.Bias)
                    {
                        yield return (Field(l, "Bias"), $"{l.Index}.bias", $"{linear.OutFeatures}", true, input.Length);
                    }

                    break;
                case BatchNormLayer bn:
                    foreach (var t in NormTensors(bn, input.C))
                    {
                        yield return t;
                    }

                    break;
                case AddLayer { Projection: true }:
                    GroupPlan p = m.Projections.First(g => g.Op!.Index == l.Index);
                    yield return (Field(p.Op!, "Weight"), $"{p.Op!.StateKey}.weight", $"{p.Channels}, {p.Input.C}, 1, 1", true, p.Input.C);
                    foreach (var t in NormTensors(p.Norm!, p.Channels))
                    {
                        yield return t;
                    }

                    break;
                case ChannelActivationLayer { Kind: ChannelActivationKind.PReLU } prelu:
                    // Filled with Init by StandaloneEmitter.InitialValues.
                    yield return (Field(l, "Weight"), $"{l.Index}.weight", $"{prelu.NumParameters}", true, 0);
                    break;
                case SampleNormLayer { Affine: true } norm:
                    string shape = norm.Kind == SampleNormKind.Layer ? input.ToArrayLiteral() : $"{input.C}";
                    yield return (Field(l, "Weight"), $"{l.Index}.weight", shape, true, -1);
                    yield return (Field(l, "Bias"), $"{l.Index}.bias", shape, true, 0);
                    break;
            }
        }
    }

    private static IEnumerable<(string Field, string Name, string Shape, bool Grad, int Init)> NormTensors(BatchNormLayer bn, int channels)
    {
        if (bn.Affine)
        {
            yield return (Field(bn, "Weight"), $"{bn.StateKey}.weight", $"{channels}", true, -1);
            yield return (Field(bn, "Bias"), $"{bn.StateKey}.bias", $"{channels}", true, 0);
        }

        yield return (Field(bn, "RunningMean"), $"{bn.StateKey}.running_mean", $"{channels}", false, 0);
        yield return (Field(bn, "RunningVar"), $"{bn.StateKey}.running_var", $"{channels}", false, -1);
    }

    /// <summary>The field holding a layer's tensor, e.g. <c>L0Weight</c>, or <c>L6_projWeight</c> for a projection.</summary>
    internal static string Field(Layer layer, string tensor) => $"L{layer.StateKey.Replace('.', '_')}{tensor}";

    /// <summary>A layer tensor's data, or an empty span when the layer has none.</summary>
    internal static string Data(string? owner, Layer? layer, string tensor, bool present) =>
        layer is not null && present ? $"{owner}{Field(layer, tensor)}.Data" : "default";

    private static void WriteConstants(CodeWriter w, PipelineModel m)
    {
        BufferPlan b = m.Buffers;
        w.Line($"internal const int InputLength = {m.Input.Length};");
        w.Line($"internal const int OutputLength = {m.Output.Length};");
        w.Line($"private const int MaxLength = {b.MaxLength};");
        w.Line($"private const int Scratch = {System.Math.Max(b.ForwardScratch, b.BackwardScratch)};");
        w.Line($"private static readonly float[] s_zeros = new float[{b.MaxChannels}];");
        w.Line("private static readonly float[] s_sink = new float[1];");
        w.Line();
    }

    private static void WriteFields(CodeWriter w, PipelineModel m)
    {
        foreach (var t in Tensors(m))
        {
            w.Line($"internal readonly Parameter {t.Field};");
        }

        w.Line();
        w.Line("// Buffers of the plan (see the // Pipeline: header), sized for the largest batch seen.");
        w.Line("private int _batch;");
        w.Line("private int _capacity;");
        foreach (TrainingBuffer t in m.Buffers.Training)
        {
            w.Line($"private float[] {t.Name} = Array.Empty<float>();");
        }

        foreach (GroupPlan g in m.AllGroups)
        {
            GroupBuffers r = m.Buffers.Groups[g.Index];
            if (r.ChannelSums)
            {
                w.Line($"private readonly double[] _sum{g.Index} = new double[{g.Channels}];");
                w.Line($"private readonly double[] _sumSq{g.Index} = new double[{g.Channels}];");
                if (g.SumsInNextBackward)
                {
                    w.Line($"private double[] _sumsPerSample{g.Index} = Array.Empty<double>();");
                }
            }

            if (r.NormState)
            {
                foreach (string name in new[] { "mean", "invStd", "scale", "shift" })
                {
                    w.Line($"private readonly float[] _{name}{g.Index} = new float[{g.Channels}];");
                }
            }
        }

        WriteConvTrainerFields(w, m);
        StandaloneEmitter.TrainingFields(w, m);
        WeightFormEmitter.TrainingFields(w, m);
        w.Line();
    }

    private static void WriteConstructor(CodeWriter w, PipelineModel m)
    {
        var tensors = Tensors(m).ToList();
        w.Summary("PyTorch's default initialisation: weights and biases U(±1/√fan_in), BatchNorm γ = 1, β = 0, mean 0, var 1.");
        w.Line($"internal {m.TrainingType}(int seed)");
        w.Line("    : this(seed, warm: false)");
        w.Line("{");
        w.Line("}");
        w.Line();
        w.Summary("The model; with <paramref name=\"warm\"/>, KernelWarmup's own: the same shapes, weights and biases left zero (none drawn), and no warm-up started.");
        w.Open($"private {m.TrainingType}(int seed, bool warm)");
        w.Open("if (!warm)");
        w.Line($"KernelWarmup.Start<{m.TrainingType}>(static () => {m.InferenceType}.WarmUp(new {m.TrainingType}(0, warm: true)));");
        w.Close();
        w.Line();
        w.Line("var rng = new InitRandom(seed);");
        StandaloneEmitter.TrainingConstructor(w, m);
        foreach (var t in tensors)
        {
            w.Line($"{t.Field} = new Parameter(\"{t.Name}\", new int[] {{ {t.Shape} }}, {(t.Grad ? "true" : "false")});");
            if (t.Init > 0)
            {
                w.Open("if (!warm)");
                w.Line($"rng.FillFanIn({t.Field}.Data, {t.Init});");
                w.Close();
            }
            else if (t.Init < 0)
            {
                w.Line($"CallBuffers.Fill({t.Field}.Data, 1f);");
            }

            WeightFormEmitter.Initialize(w, m, t.Field);
        }

        StandaloneEmitter.InitialValues(w, m);
        w.Line($"Parameters = new ParameterList({string.Join(", ", tensors.Where(t => t.Grad && !WeightFormEmitter.Hidden(m, t.Field)).Select(t => t.Field))});");
        w.Line($"Buffers = new ParameterList({string.Join(", ", tensors.Where(t => !t.Grad).Select(t => t.Field))});");
        w.Close();
        w.Line();
        w.Line("internal ParameterList Parameters { get; }");
        w.Line();
        w.Line("internal ParameterList Buffers { get; }");
        w.Line();
        StandaloneEmitter.TrainingMembers(w, m);
        WeightFormEmitter.TrainingMembers(w, m);
    }

    private static void WriteEntryPoints(CodeWriter w, PipelineModel m)
    {
        w.Line("/// <summary>Training-mode forward pass; checks its arguments before anything is written.</summary>");
        w.Open("internal void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)");
        w.Line("PipelineChecks.Batch(batchSize, input.Length, output.Length, InputLength, OutputLength);");
        foreach (GroupPlan g in m.AllGroups.Where(g => g.Norm is not null))
        {
            w.Line($"PipelineChecks.BatchNormValues({g.Norm!.Index}, batchSize, {g.Spatial});");
        }

        WeightFormEmitter.Checks(w, m);
        w.Line("EnsureCapacity(batchSize);");
        w.Line("_batch = 0;");
        StandaloneEmitter.ForwardStart(w, m);
        if (!InputFromCaller(m, m.Groups[0]))
        {
            w.Line("input.CopyTo(_in);");
        }

        foreach (GroupPlan g in m.Groups.Where(g => g.Forward.Count > 0))
        {
            WeightFormEmitter.BeforeForward(w, g);
            string input = InputFromCaller(m, g) ? ", input" : string.Empty;
            string output = m.Buffers.Groups[g.Index].Output == BufferPlanner.CallerOutput ? ", output" : string.Empty;
            w.Line($"G{g.Index}_Forward(batchSize{input}{output});");
        }

        string last = m.Buffers.Groups[m.Groups.Count - 1].Output;
        if (last != BufferPlanner.CallerOutput)
        {
            w.Line($"new ReadOnlySpan<float>({last}, 0, batchSize * OutputLength).CopyTo(output);");
        }

        w.Line("_batch = batchSize;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Backward for the last Forward, from the last group down; parameter gradients accumulate.</summary>");
        w.Open("internal void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient)");
        w.Line("int n = _batch;");
        w.Line("PipelineChecks.Backward(n, outputGradient.Length, inputGradient.Length, InputLength, OutputLength);");
        w.Line("ref float dy = ref MemoryMarshal.GetReference(outputGradient);");
        w.Line("bool wantInput = !inputGradient.IsEmpty;");
        w.Line("ref float userDx = ref wantInput ? ref MemoryMarshal.GetReference(inputGradient) : ref s_sink[0];");
        var used = m.Saves.Where(s => m.Groups.Any(g => g.Branch?.Slot == s.Slot)).ToList();
        foreach (SavePoint s in used.Where(s => !TrainingNormFusion.SavedGradientStoredFirst(m.Groups, s.Slot)))
        {
            w.Line($"Array.Clear(_gradSave{s.Slot}, 0, n * {s.Length});");
        }

        string? source = null;
        for (int gi = m.Groups.Count - 1; gi >= 0; gi--)
        {
            if (FusedIntoPrevious(m.Groups[gi]))
            {
                w.Line($"// Group {gi}: its derivative runs in group {gi - 1}'s backward, on this gradient.");
                continue;
            }

            string? dx = m.Buffers.Groups[gi].InputGradient;
            if (dx is not null && dx == source)
            {
                // After a skipped group the alternation would write dX over the dY it reads: the other buffer (same size) instead.
                dx = dx == "_gradA" ? "_gradB" : "_gradA";
            }

            source = dx;
            WeightFormEmitter.BeforeBackward(w, m.Groups[gi]);
            w.Line($"G{gi}_Backward(n, ref dy, ref {(dx is null ? "userDx" : dx + "[0]")}, {(dx is null ? "wantInput" : "true")});");
            WeightFormEmitter.AfterBackward(w, m.Groups[gi]);
            SavePoint? folded = gi > 0 ? m.Groups[gi - 1].SavedGradientIn : null;
            foreach (SavePoint s in used.Where(s => s.AfterGroup == gi - 1 && s != folded))
            {
                // Where the paths meet: the saved tensor's gradient is the main path's plus what its users sent back.
                string add = $"TrainingPasses.Add(ref _gradSave{s.Slot}[0], ref {(dx is null ? "userDx" : dx + "[0]")}, n, {s.Length});";
                if (dx is null)
                {
                    w.Open("if (wantInput)");
                    w.Line(add);
                    w.Close();
                }
                else
                {
                    w.Line(add);
                }
            }

            if (dx is not null)
            {
                w.Line($"dy = ref {dx}[0];");
            }
        }

        w.Line("// The saved activations serve one Backward, as PyTorch frees its graph after backward.");
        w.Line("_batch = -1;");
        w.Close();
        w.Line();

        w.Line("/// <summary>The immutable inference model: BatchNorm folded into a copy of the weights.</summary>");
        w.Line($"internal {m.InferenceType} Freeze() => new {m.InferenceType}(this, fold: true);");
        w.Line();
        w.Line("/// <summary>Eval-mode inference with the current parameters (nothing folded).</summary>");
        w.Open("internal void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)");
        w.Line($"new {m.InferenceType}(this, fold: false).Infer(input, output, batchSize);");
        w.Close();
        w.Line();
    }

    // A Linear group took this group's training (LinearTrainingFusion): no pass of its own either way.
    private static bool FusedIntoPrevious(GroupPlan g) => g.Forward.Count == 0 && g.Backward.Count == 0 && g.Index > 0;

    private static void WriteEnsure(CodeWriter w, PipelineModel m)
    {
        w.Open("private void EnsureCapacity(int n)");
        w.Open("if (_capacity >= n)");
        w.Line("return;");
        w.Close();
        w.Line();
        foreach (TrainingBuffer t in m.Buffers.Training)
        {
            w.Line($"{t.Name} = new float[n * {t.PerSample}];");
        }

        w.Line("_capacity = n;");
        w.Close();
        w.Line();
    }
}
