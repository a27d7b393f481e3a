using System;
using System.Collections.Generic;
using System.Linq;

namespace FusedOps.Generator.Tests.Property;

/// <summary>What the generator must do with a declaration.</summary>
internal enum Verdict
{
    /// <summary>An argument, order or shape is invalid by API.md: at least one FOPS error, nothing generated.</summary>
    Reject,

    /// <summary>Valid and small: the generator must accept it.</summary>
    Accept,

    /// <summary>Valid by API.md but so large that the generator's size limits may reject it: either outcome is fine.</summary>
    Either,
}

/// <summary>The test's independent reading of a declaration: the verdict, why, every layer's output shape and the cost of running it.</summary>
/// <param name="Verdict">What the generator must do.</param>
/// <param name="Reasons">Why it must reject, for assertion messages; empty when it must accept.</param>
/// <param name="OutputShape">The final per-sample shape, when the verdict is not Reject.</param>
/// <param name="MaxElements">The largest tensor per sample: input, layer output, padded conv input, or weight.</param>
/// <param name="MultiplyAdds">Multiply-adds per sample in Conv2d and Linear layers.</param>
/// <param name="Moderate">Every float argument is moderate, so finite inputs must give finite results.</param>
/// <param name="SingleChannelProjection">
/// An Add projects a one-channel tensor: its training-mode BatchNorm undoes the 1×1 scale up to ε, so the
/// projection's gradients are small differences of large sums that float32 cannot match to double's digits.
/// </param>
internal sealed record Expectation(Verdict Verdict, IReadOnlyList<string> Reasons, int[]? OutputShape, double MaxElements, double MultiplyAdds, bool Moderate, bool SingleChannelProjection = false);

/// <summary>
/// API.md's rules, written again from the contract rather than from the generator, so the property
/// tests can say not only "rejected or clean" but "rejected exactly when it should be".
/// </summary>
internal static class Oracle
{
    /// <summary>Below this many elements in every tensor the generator has no reason to refuse a valid pipeline.</summary>
    public const double SurelySmall = 1 << 22;

    /// <summary>A tensor larger than an array can hold can never be allocated: such a pipeline is impossible.</summary>
    public const double Impossible = 0x7FFFFFC7; // Array.MaxLength

    private static readonly HashSet<string> s_supported =
    [
        "Linear", "Conv2d", "BatchNorm", "Flatten", "Identity", "ReLU", "LeakyReLU", "HardTanh",
        "ELU", "SELU", "GELU", "Sigmoid", "Tanh", "ArcTan", "Softsign", "SiLU", "Swish", "Mish", "Softplus",
        "HardSigmoid", "HardSwish", "Isru", "Isrlu", "SquareNonlinearity", "BinaryStep",
        "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Dropout", "LayerNorm", "GroupNorm", "InstanceNorm",
        "BipolarReLU", "PReLU", "RReLU", "LocalResponseNorm", "Maxout", "SwitchableNorm", "Save", "Add", "Concat",
    ];

    public static Expectation Judge(Declaration d)
    {
        var reasons = new List<string>();
        if (d.Layers.Count == 0)
        {
            reasons.Add("no layers (FOPS0002)");
        }

        foreach (LayerDecl l in d.Layers.Where(l => !s_supported.Contains(l.Name)))
        {
            reasons.Add($"{l.Name} is not generated yet (FOPS0007)");
        }

        foreach (LayerDecl l in d.Layers)
        {
            CheckArguments(l, reasons);
        }

        bool inputOk = d.InputShape.Count is 1 or 3 && d.InputShape.All(x => x >= 1);
        if (!inputOk)
        {
            reasons.Add($"input shape ({string.Join(", ", d.InputShape)}) is not a valid rank-1 or rank-3 shape (FOPS0003)");
        }

        bool moderate = d.Layers.SelectMany(l => l.Args).All(a => a.Value is not float f || (Math.Abs(f) <= 1e3f && (f == 0f || Math.Abs(f) >= 1e-12f)));
        if (!inputOk || reasons.Count > 0)
        {
            return new Expectation(Verdict.Reject, reasons, null, 0, 0, moderate);
        }

        // Shapes in long (dimensions) and double (element counts), which neither overflows nor wraps.
        int rank = d.InputShape.Count;
        long c = d.InputShape[0], h = rank == 3 ? d.InputShape[1] : 1, w = rank == 3 ? d.InputShape[2] : 1;
        double maxElements = (double)c * h * w, macs = 0;
        bool singleChannelProjection = false;
        var saved = new Dictionary<string, (long C, long H, long W, int Rank)>(StringComparer.Ordinal);
        for (int i = 0; i < d.Layers.Count; i++)
        {
            LayerDecl l = d.Layers[i];
            if (l.Name is "Add" or "Concat" && !saved.ContainsKey(l.BranchName))
            {
                return Reject($"layer {i} {l.Name} uses '{l.BranchName}' before it is saved (FOPS0016 or FOPS0018)");
            }

            switch (l.Name)
            {
                case "Save":
                    if (!saved.TryAdd(l.BranchName, (c, h, w, rank)))
                    {
                        return Reject($"layer {i} saves '{l.BranchName}' a second time (FOPS0017)");
                    }

                    break;
                case "Add":
                {
                    (long sc, long sh, long sw, int sr) = saved[l.BranchName];
                    if (!l.Bool("Projection"))
                    {
                        if ((sc, sh, sw, sr) != (c, h, w, rank))
                        {
                            return Reject($"layer {i} Add '{l.BranchName}' of another shape (FOPS0019)");
                        }

                        break;
                    }

                    bool strideExists = Enumerable.Range(1, (int)Math.Max(sh, sw)).Any(s => ((sh - 1) / s) + 1 == h && ((sw - 1) / s) + 1 == w);
                    if (rank != 3 || sr != 3 || !strideExists)
                    {
                        return Reject($"layer {i} Add '{l.BranchName}' with a projection no 1×1 Conv2d can make (FOPS0020)");
                    }

                    macs += (double)sc * c * h * w;
                    singleChannelProjection |= sc == 1;
                    maxElements = Math.Max(maxElements, (double)sc * c);
                    break;
                }

                case "Concat":
                {
                    (long sc, long sh, long sw, int sr) = saved[l.BranchName];
                    if (sr != rank || (rank == 3 && (sh, sw) != (h, w)))
                    {
                        return Reject($"layer {i} Concat '{l.BranchName}' of another rank, height or width (FOPS0019)");
                    }

                    c += sc;
                    break;
                }

                case "Linear":
                {
                    if (rank != 1)
                    {
                        return Reject($"layer {i} Linear on rank-3 input (FOPS0004)");
                    }

                    double inputs = c;
                    c = l.Positional(0);
                    macs += inputs * c;
                    if (inputs * c > Impossible)
                    {
                        return Reject($"layer {i} Linear has a weight of {inputs * c:E3} elements, more than an array holds");
                    }

                    maxElements = Math.Max(maxElements, inputs * c);
                    break;
                }

                case "Conv2d":
                {
                    if (rank != 3)
                    {
                        return Reject($"layer {i} Conv2d on rank-1 input (FOPS0004)");
                    }

                    long outC = l.Positional(0), k = l.Positional(1);
                    long stride = l.Int("Stride", 1), pad = l.Int("Padding", 0), dil = l.Int("Dilation", 1), groups = l.Int("Groups", 1);
                    if (c % groups != 0 || outC % groups != 0)
                    {
                        return Reject($"layer {i} Conv2d Groups = {groups} does not divide {c} input and {outC} output channels (FOPS0005)");
                    }

                    long span = (dil * (k - 1)) + 1;
                    long oh = h + (2 * pad) >= span ? ((h + (2 * pad) - span) / stride) + 1 : 0;
                    long ow = w + (2 * pad) >= span ? ((w + (2 * pad) - span) / stride) + 1 : 0;
                    if (oh < 1 || ow < 1)
                    {
                        return Reject($"layer {i} Conv2d output ({outC}, {oh}, {ow}) is empty (FOPS0006)");
                    }

                    double weight = (double)outC * (c / groups) * k * k;
                    macs += weight * oh * ow;
                    if (weight > Impossible)
                    {
                        return Reject($"layer {i} Conv2d has a weight of {weight:E3} elements, more than an array holds");
                    }

                    maxElements = Math.Max(maxElements, Math.Max(weight, (double)c * (h + (2 * pad)) * (w + (2 * pad))));
                    (c, h, w) = (outC, oh, ow);
                    break;
                }

                case "Flatten":
                    (c, h, w, rank) = (c * h * w, 1, 1, 1);
                    break;
                case "MaxPool2d" or "AvgPool2d":
                {
                    if (rank != 3)
                    {
                        return Reject($"layer {i} {l.Name} on rank-1 input (FOPS0004)");
                    }

                    long k = l.Positional(0), stride = l.Int("Stride", (int)k), pad = l.Int("Padding", 0);
                    long oh = h + (2 * pad) >= k ? ((h + (2 * pad) - k) / stride) + 1 : 0;
                    long ow = w + (2 * pad) >= k ? ((w + (2 * pad) - k) / stride) + 1 : 0;
                    if (oh < 1 || ow < 1)
                    {
                        return Reject($"layer {i} {l.Name} output ({c}, {oh}, {ow}) is empty (FOPS0006)");
                    }

                    (h, w) = (oh, ow);
                    break;
                }

                case "GroupNorm" when c % l.Positional(0) != 0:
                    return Reject($"layer {i} GroupNorm groups = {l.Positional(0)} does not divide {c} channels (FOPS0005)");
                case "InstanceNorm" when rank != 3 || h * w == 1:
                    return Reject($"layer {i} InstanceNorm needs an image of more than one value per channel (FOPS0004)");
                case "PReLU" when l.Int("NumParameters", 1) != 1 && l.Int("NumParameters", 1) != c:
                    return Reject($"layer {i} PReLU NumParameters = {l.Int("NumParameters", 1)} is neither 1 nor the {c} channels (FOPS0005)");
                case "Maxout":
                    if (c % l.Positional(0) != 0)
                    {
                        return Reject($"layer {i} Maxout pieces = {l.Positional(0)} does not divide {c} channels (FOPS0005)");
                    }

                    c /= l.Positional(0);
                    break;
                case "SwitchableNorm" when rank != 3:
                    return Reject($"layer {i} SwitchableNorm on rank-1 input (FOPS0004)");
                case "LocalResponseNorm" when rank != 3:
                    return Reject($"layer {i} LocalResponseNorm on rank-1 input (FOPS0004)");
                case "GlobalAvgPool2d":
                    if (rank != 3)
                    {
                        return Reject($"layer {i} GlobalAvgPool2d on rank-1 input (FOPS0004)");
                    }

                    (h, w) = (1, 1);
                    break;
            }

            maxElements = Math.Max(maxElements, (double)c * h * w);
            if (maxElements > Impossible)
            {
                return Reject($"layer {i} {l.Name} needs a tensor of {maxElements:E3} elements, more than an array holds");
            }
        }

        int[] output = rank == 1 ? [(int)c] : [(int)c, (int)h, (int)w];
        return new Expectation(maxElements <= SurelySmall ? Verdict.Accept : Verdict.Either, [], output, maxElements, macs, moderate, singleChannelProjection);

        Expectation Reject(string why) => new(Verdict.Reject, [why], null, 0, 0, moderate);
    }

    private static void CheckArguments(LayerDecl l, List<string> reasons)
    {
        void Require(bool ok, string what)
        {
            if (!ok)
            {
                reasons.Add($"{l}: {what} (FOPS0005)");
            }
        }

        static bool Finite(float f) => float.IsFinite(f);

        switch (l.Name)
        {
            case "Linear":
                Require(l.Positional(0) >= 1, "outFeatures < 1");
                Require(!(l.Bool("WeightNorm") && l.Bool("SpectralNorm")), "WeightNorm and SpectralNorm both set");
                break;
            case "Conv2d":
                Require(l.Positional(0) >= 1, "outChannels < 1");
                Require(l.Positional(1) >= 1, "kernelSize < 1");
                Require(l.Int("Stride", 1) >= 1, "Stride < 1");
                Require(l.Int("Padding", 0) >= 0, "Padding < 0");
                Require(l.Int("Dilation", 1) >= 1, "Dilation < 1");
                Require(l.Int("Groups", 1) >= 1, "Groups < 1");
                Require(!(l.Bool("WeightNorm") && l.Bool("SpectralNorm")), "WeightNorm and SpectralNorm both set");
                break;
            case "BatchNorm" or "SwitchableNorm":
                float eps = l.Float("Epsilon", 1e-5f), momentum = l.Float("Momentum", 0.1f);
                Require(Finite(eps) && eps > 0, "Epsilon not a finite number above 0");
                Require(momentum is >= 0f and <= 1f, "Momentum outside [0, 1]");
                break;
            case "LeakyReLU":
                Require(Finite(l.Float("NegativeSlope", 0.01f)), "NegativeSlope not finite");
                break;
            case "MaxPool2d" or "AvgPool2d":
                int k = l.Positional(0), pad = l.Int("Padding", 0);
                Require(k >= 1, "kernelSize < 1");
                Require(l.Int("Stride", k) >= 1, "Stride < 1");
                Require(pad >= 0, "Padding < 0");
                Require(k < 1 || pad <= k / 2, "Padding above half the kernel");
                break;
            case "LayerNorm" or "GroupNorm" or "InstanceNorm":
                float epsilon = l.Float("Epsilon", 1e-5f);
                Require(Finite(epsilon) && epsilon > 0, "Epsilon not a finite number above 0");
                Require(l.Name != "GroupNorm" || l.Positional(0) >= 1, "groups < 1");
                break;
            case "Maxout":
                Require(l.Positional(0) >= 1, "pieces < 1");
                break;
            case "LocalResponseNorm":
                float lrnAlpha = l.Float("Alpha", 1e-4f), lrnK = l.Float("K", 1f);
                Require(l.Positional(0) >= 1, "size < 1");
                Require(Finite(lrnAlpha) && lrnAlpha >= 0, "Alpha not a finite number at least 0");
                Require(Finite(l.Float("Beta", 0.75f)), "Beta not finite");
                Require(Finite(lrnK) && lrnK > 0, "K not a finite number above 0");
                break;
            case "PReLU":
                Require(l.Int("NumParameters", 1) >= 1, "NumParameters < 1");
                Require(Finite(l.Float("Init", 0.25f)), "Init not finite");
                break;
            case "RReLU":
                float lower = l.Float("Lower", 0.125f), upper = l.Float("Upper", 1f / 3);
                Require(Finite(lower) && Finite(upper), "Lower or Upper not finite");
                Require(!(lower > upper), "Lower above Upper");
                break;
            case "Dropout":
                Require(l.Float("P", 0.5f) is >= 0f and < 1f, "P outside [0, 1)");
                break;
            case "ELU":
                Require(Finite(l.Float("Alpha", 1f)), "Alpha not finite");
                break;
            case "Swish":
                Require(Finite(l.Float("Beta", 1f)), "Beta not finite");
                break;
            case "Softplus":
                float beta = l.Float("Beta", 1f);
                Require(Finite(beta) && beta != 0, "Beta not a finite number other than 0");
                Require(Finite(l.Float("Threshold", 20f)), "Threshold not finite");
                break;
            case "Isru" or "Isrlu":
                float alpha = l.Float("Alpha", 1f);
                Require(Finite(alpha) && alpha >= 0, "Alpha not a finite number at least 0");
                break;
            case "HardTanh":
                float min = l.Float("Min", -1f), max = l.Float("Max", 1f);
                Require(Finite(min) && Finite(max), "Min or Max not finite");
                Require(!(min >= max), "Min not below Max");
                break;
        }
    }
}
