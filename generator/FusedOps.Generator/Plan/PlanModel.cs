using System.Collections.Generic;
using FusedOps.Generator.Model;

namespace FusedOps.Generator.Plan;

/// <summary>What a pass is run for.</summary>
internal enum Mode
{
    Inference,
    TrainingForward,
    Backward,
}

/// <summary>The operation a group is built around; its epilogue stages follow it.</summary>
internal enum AnchorKind
{
    /// <summary>Im2col panels × register blocks, epilogue on the accumulators.</summary>
    Conv2d,

    /// <summary>x·Wᵀ on the packed GEMM (<c>Emit/LinearEmitter</c>): bias, BatchNorm and activation in its epilogue at inference.</summary>
    Linear,

    /// <summary>No op: a BatchNorm or an activation on its own, one elementwise pass.</summary>
    Elementwise,

    /// <summary>Nothing to compute (a pipeline of only Flatten): a copy.</summary>
    Copy,

    /// <summary>A layer that is its own group (pooling, Dropout, a per-sample norm); <c>Emit/StandaloneEmitter</c> writes its passes.</summary>
    Standalone,

    /// <summary>Channels [current, saved]: a copy of both per sample.</summary>
    Concat,
}

/// <summary>One step of a group's work after its anchor, per mode (see <see cref="FusionRules"/>).</summary>
internal enum StageKind
{
    /// <summary>The op's bias (forward), folded into the per-channel shift where a scale/shift is applied.</summary>
    Bias,

    /// <summary>Inference BatchNorm: running statistics as a per-channel scale and shift (folded into the weights by Freeze).</summary>
    ScaleShift,

    /// <summary>Training BatchNorm: Σ and Σ² per channel, in double.</summary>
    BatchStatistics,

    /// <summary>Training BatchNorm: batch mean/variance into scale and shift, running-stat update, then y = z·scale + shift.</summary>
    Normalize,

    /// <summary>The residual add of a saved tensor (or of its projection), before the activation.</summary>
    Add,

    /// <summary>The activation (forward).</summary>
    Activation,

    /// <summary>Inference: the non-overlapping pool of the next group, reduced from the register block before it is stored.</summary>
    Pool,

    /// <summary>Inference: the next group's PReLU, RReLU (mean slope) or BipolarReLU, one operator per output channel row.</summary>
    ChannelActivation,

    /// <summary>Inference: the next group's Maxout, the maximum over each run of <c>pieces</c> output channels (features).</summary>
    Maxout,

    /// <summary>Backward: dU = act′(dY) at the saved pre-activation.</summary>
    ActivationGradient,

    /// <summary>Backward: the residual add's gradient, sent to the saved tensor (through the projection's backward).</summary>
    AddGradient,

    /// <summary>Backward: BatchNorm's Σ dU and Σ dU·x̂ (and dγ, dβ).</summary>
    NormReductions,

    /// <summary>Backward: BatchNorm's input gradient from dU and the two reductions.</summary>
    NormInputGradient,

    /// <summary>Backward: the op's dW, dB and dX.</summary>
    AnchorGradients,
}

/// <summary>Where a stage runs, as the fusion-rule table says.</summary>
internal enum Placement
{
    /// <summary>In the anchor's epilogue, while the output block is in registers (or in the GEMM's store).</summary>
    Epilogue,

    /// <summary>In the group's elementwise pass (opened by the first stage that needs one).</summary>
    Elementwise,

    /// <summary>A pass of its own (a reduction or a gradient step that needs the whole batch first).</summary>
    OwnPass,
}

/// <summary>Whether a pass is the anchor's, an elementwise pass, or a pass of its own.</summary>
internal enum PassKind
{
    Anchor,
    Elementwise,
    Own,
    Copy,
}

/// <summary>One pass over memory: what it is built around and the stages it fuses, in order.</summary>
internal sealed record Pass(PassKind Kind, EquatableArray<StageKind> Stages)
{
    public bool Has(StageKind stage)
    {
        foreach (StageKind s in Stages)
        {
            if (s == stage)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>The activation's operator struct and constructor arguments, e.g. <c>new LeakyReluOperator(0.2f)</c>.</summary>
internal sealed record ActivationOp(string Name, string OperatorType, EquatableArray<float> Arguments)
{
    public string New() => $"new {OperatorType}({string.Join(", ", System.Linq.Enumerable.Select(Arguments, Literal.Float))})";
}

/// <summary>
/// Where an Add or Concat finds its saved tensor: the name, its save slot (one gradient accumulator per
/// slot), the group whose output was saved (−1: the pipeline's input), and the projection group (−1: none).
/// </summary>
internal sealed record BranchUse(string Name, int Slot, int From, int ProjectionGroup);

/// <summary>A <c>[Save]</c>: its slot, the group whose output it names (−1: the input) and that tensor's length per sample.</summary>
internal sealed record SavePoint(string Name, int Slot, int AfterGroup, int Length);

/// <summary>
/// A fusion group: an anchor (Conv2d, Linear, Concat, or none), an optional BatchNorm, an optional
/// residual Add and an optional activation, with its passes per mode and, for a Conv2d, its register
/// blocks and scratch layout. A projection group (the 1×1 Conv2d + BatchNorm of <c>Add(Projection = true)</c>)
/// has <see cref="ProjectionOf"/> set to the group whose Add it feeds.
/// </summary>
internal sealed record GroupPlan(
    int Index,
    AnchorKind Anchor,
    Layer? Op,
    BatchNormLayer? Norm,
    ActivationLayer? Activation,
    ActivationOp Operator,
    Shape Input,
    Shape Output,
    ConvPlan? Conv,
    EquatableArray<Pass> Inference,
    EquatableArray<Pass> Forward,
    EquatableArray<Pass> Backward)
{
    /// <summary>The Add or Concat layer of the group, if any.</summary>
    public Layer? Join { get; init; }

    /// <summary>Where the Add or Concat reads its saved tensor.</summary>
    public BranchUse? Branch { get; init; }

    /// <summary>For a projection group, the index of the group whose Add it feeds; else −1.</summary>
    public int ProjectionOf { get; init; } = -1;

    /// <summary>
    /// Inference, a Linear group: the next group's PReLU, RReLU or BipolarReLU run per output feature in the packed GEMM's
    /// epilogue (<see cref="ChannelFusion"/>); the slopes follow the shifts, as a Conv2d's <see cref="ConvPlan.Channel"/>.
    /// </summary>
    public ChannelEpilogue Columns { get; init; }

    /// <summary>The channel activation a Linear group's inference runs, as the header names it.</summary>
    public string ColumnsName { get; init; } = string.Empty;

    /// <summary>The channel activation the group's inference epilogue runs (a Conv2d's or a Linear's), if any.</summary>
    public ChannelEpilogue FusedChannel => Conv?.Channel ?? Columns;

    /// <summary>
    /// Inference, a Linear group: the pieces of the next group's Maxout, run in the packed GEMM's epilogue on weights in
    /// Maxout order (<see cref="MaxoutFusion"/>); 0: none.
    /// </summary>
    public int LinearMaxout { get; init; }

    /// <summary>
    /// Training, a Linear group: the next group's PReLU or BipolarReLU, run in the GEMM's epilogue forward and on dY before the
    /// GEMMs backward (<see cref="LinearTrainingFusion"/>); that group then has no training passes. Null: none.
    /// </summary>
    public ChannelActivationLayer? TrainingChannel { get; init; }

    /// <summary>
    /// Training, a Linear group: the pieces of the next group's Maxout, reduced over runs of consecutive features in the GEMM's
    /// epilogue forward and routed to the winning piece backward (<see cref="LinearTrainingFusion"/>); 0: none.
    /// </summary>
    public int TrainingMaxout { get; init; }

    /// <summary>Training: a MaxPool2d right after this group runs in its normalise pass (<see cref="TrainingNormFusion"/>).</summary>
    public PoolLayer? TrainingPool { get; init; }

    /// <summary>Training: this group's normalise and activation run in the next group's input pad; its output is never stored.</summary>
    public bool NormInNextPad { get; init; }

    /// <summary>Training: the group whose normalise and activation this grid conv's input pad runs, or −1.</summary>
    public int PadNormOf { get; init; } = -1;

    /// <summary>Training: the group whose unstored output this group's residual Add recomputes from its z, or −1.</summary>
    public int ResidualNormOf { get; init; } = -1;

    /// <summary>Training: BatchNorm's reduction pass stores no dU; the conv's backward recomputes it per sample.</summary>
    public bool DuRecomputed { get; init; }

    /// <summary>
    /// Training: the residual sum u is not stored; the backward's one-sweep reduction recomputes it per sample from z and the saved
    /// group's z (<see cref="TrainingNormFusion"/> rule 5).
    /// </summary>
    public bool SumRecomputed { get; init; }

    /// <summary>
    /// Training: with ReLU and the pool after it, dU is formed at the pooled size (ReLU′ at the pool's output) and stored there, in
    /// place of the saved tensor's full-size gradient; this conv's backward and the saved group's reductions form dU from it per
    /// plane (<see cref="TrainingNormFusion"/> rule 8).
    /// </summary>
    public bool PooledSavedGradient { get; init; }

    /// <summary>
    /// Training: BatchNorm's reductions (after the saved tensor's gradient is added to dY) run per sample in the next group's conv
    /// backward, right after it forms dY (<see cref="TrainingNormFusion"/> rule 7); this group's pass only adds them up.
    /// </summary>
    public bool SumsInNextBackward { get; init; }

    /// <summary>Training: the saved tensor (right after this group) whose gradient its reduction pass adds to dY as it reads it, or null.</summary>
    public SavePoint? SavedGradientIn { get; init; }

    /// <summary>Whether inference writes the next group's output (its work runs in this group's epilogue).</summary>
    public bool TakesNext => Conv is { TakesNext: true } || Columns != ChannelEpilogue.None || LinearMaxout > 0;

    /// <summary>Inference: a Dropout whose output is its input's buffer (no pass; <see cref="ChannelFusion"/> decides).</summary>
    public bool InferenceAlias => Op is DropoutLayer && Inference.Count == 0;

    public int Channels => Output.C;

    public int Spatial => Output.Spatial;

    public int InLength => Input.Length;

    public int OutLength => Output.Length;

    public bool HasBias => Op is LinearLayer { Bias: true } or Conv2dLayer { Bias: true };

    /// <summary>Output features or channels of the op (its weight's row count).</summary>
    public int OpOut => Op switch { LinearLayer l => l.OutFeatures, Conv2dLayer c => c.OutChannels, _ => Channels };

    public string Describe()
    {
        var parts = System.Linq.Enumerable.Select(
            System.Linq.Enumerable.Where(new Layer?[] { Op, Norm, Join, Activation }, l => l is not null),
            l => l!.StateKey == l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) ? $"{l.Name}[{l.Index}]" : $"{l.Name}[{l.StateKey}]");
        string text = string.Join(" + ", parts);
        return text.Length == 0 ? "identity" : text;
    }
}

/// <summary>Everything the emitter needs about one pipeline class: layers, shapes, groups with their passes, buffers.</summary>
internal sealed record PipelineModel(
    string? Namespace,
    string TypeName,
    EquatableArray<string> ContainingTypes,
    string HintName,
    Shape Input,
    EquatableArray<Layer> Layers,
    EquatableArray<Shape> Shapes,
    EquatableArray<GroupPlan> Groups,
    EquatableArray<GroupPlan> Projections,
    EquatableArray<SavePoint> Saves,
    BufferPlan Buffers)
{
    /// <summary>The main groups, then the projection groups (whose indices follow the main ones).</summary>
    public IEnumerable<GroupPlan> AllGroups => System.Linq.Enumerable.Concat(Groups, Projections);

    public Shape Output => Shapes[Shapes.Count - 1];

    /// <summary>The class's full name as the hint name spells it: <c>Samples.Net</c>.</summary>
    public string FullName => HintName.Substring(0, HintName.Length - ".g.cs".Length);

    /// <summary>The generated types' common prefix, unique per pipeline class: <c>Samples_Net</c>.</summary>
    public string FlatName => FullName.Replace('.', '_');

    public string TrainingType => FlatName + Names.TrainingSuffix;

    public string InferenceType => FlatName + Names.InferenceSuffix;

    public string KernelsType => FlatName + Names.KernelsSuffix;
}

/// <summary>The transform's result: a model to emit (null when there are errors) and diagnostics.</summary>
internal sealed record PipelineResult(PipelineModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
