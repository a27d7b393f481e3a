using System.Linq;
using FusedOps.Generator.Model;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>A fusion group with everything the emitters derive from it: layers, sizes, buffer names.</summary>
internal sealed class GroupView
{
    public GroupView(PipelineModel model, FusionGroup group, int count)
    {
        Group = group;
        Op = group.Op >= 0 ? model.Layers[group.Op] : null;
        Norm = group.Norm >= 0 ? (BatchNormLayer)model.Layers[group.Norm] : null;
        Act = group.Act >= 0 ? (ActivationLayer)model.Layers[group.Act] : null;
        if (Act is not null)
        {
            ActivationTable.TryGet(Act.Name, out ActivationEntry entry);
            ActEntry = entry;
        }

        Conv = Op is Conv2dLayer conv ? new ConvGeometry(conv, group.Input, group.Output) : null;
        IsFirst = group.Index == 0;
        IsLast = group.Index == count - 1;
    }

    public FusionGroup Group { get; }

    public int Index => Group.Index;

    public Layer? Op { get; }

    public BatchNormLayer? Norm { get; }

    public ActivationLayer? Act { get; }

    public ActivationEntry? ActEntry { get; }

    public ConvGeometry? Conv { get; }

    public bool IsConv => Conv is not null;

    public bool IsLinear => Op is LinearLayer;

    /// <summary>Output features or channels of the op.</summary>
    public int OpOut => Op switch { LinearLayer l => l.OutFeatures, Conv2dLayer c => c.OutChannels, _ => Channels };

    /// <summary>A group with nothing to compute (a pipeline of only Flatten).</summary>
    public bool IsIdentity => Op is null && Norm is null && Act is null;

    public bool IsFirst { get; }

    public bool IsLast { get; }

    /// <summary>Channels of the group's output (= of its input when there is no op).</summary>
    public int Channels => Group.Output.C;

    /// <summary>Values per channel per sample.</summary>
    public int Spatial => Group.Output.Spatial;

    public int InLength => Group.Input.Length;

    public int OutLength => Group.Output.Length;

    public bool HasBias => Op is LinearLayer { Bias: true } or Conv2dLayer { Bias: true };

    public bool Affine => Norm is { Affine: true };

    /// <summary>The buffer holding the op's output (pre-norm) in training.</summary>
    public string ZBuffer(string inputBuffer) => Op is not null ? $"_z{Index}" : inputBuffer;

    /// <summary>Whether the group writes a separate output buffer.</summary>
    public bool HasYBuffer => Norm is not null || Act is not null;

    public string Describe()
    {
        var parts = new Layer?[] { Op, Norm, Act }.Where(l => l is not null).Select(l => $"{l!.Name}[{l.Index}]").ToList();
        return parts.Count == 0 ? "identity" : string.Join(" + ", parts);
    }

    /// <summary>The activation applied to a value expression, or the value itself.</summary>
    public string ActForward(string x) => ActEntry is null
        ? x
        : $"global::FusedOps.Kernels.Activations.{ActEntry.Kernel}({x}{ActArgs()})";

    /// <summary>The activation's derivative applied to gradient g at input u.</summary>
    public string ActBackward(string g, string u) => ActEntry is null
        ? g
        : $"global::FusedOps.Kernels.Activations.{ActEntry.Kernel}Backward({g}, {u}{ActArgs()})";

    private string ActArgs() => string.Concat(Act!.Arguments.Select(a => ", " + CodeWriter.F(a)));
}

/// <summary>Constant sizes of one Conv2d layer.</summary>
internal sealed class ConvGeometry
{
    public ConvGeometry(Conv2dLayer op, Shape input, Shape output)
    {
        C = input.C;
        H = input.H;
        W = input.W;
        OC = output.C;
        OH = output.H;
        OW = output.W;
        K = op.KernelSize;
        Stride = op.Stride;
        Pad = op.Padding;
        Dilation = op.Dilation;
        Groups = op.Groups;
    }

    public int C { get; }

    public int H { get; }

    public int W { get; }

    public int OC { get; }

    public int OH { get; }

    public int OW { get; }

    public int K { get; }

    public int Stride { get; }

    public int Pad { get; }

    public int Dilation { get; }

    public int Groups { get; }

    public int Cg => C / Groups;

    public int OCg => OC / Groups;

    /// <summary>Taps per output channel: the GEMM depth.</summary>
    public int Kc => Cg * K * K;

    public int P => OH * OW;

    public int Hp => H + (2 * Pad);

    public int Wp => W + (2 * Pad);

    public int Panels => (P + 31) / 32;

    public int PadLength => Pad > 0 ? C * Hp * Wp : 0;

    /// <summary>Scratch floats for one sample's forward: padded input, one panel and a 32-wide tail block.</summary>
    public int ForwardScratch => PadLength + (Kc * 32) + (OC * 32);

    /// <summary>Scratch floats for one sample's backward: padded input, its gradient, all panels of one group, the output-gradient panels and one tap panel.</summary>
    public int BackwardScratch => new BackwardLayout(this).Total;

    public long Flops => 2L * OC * Kc * P;
}
