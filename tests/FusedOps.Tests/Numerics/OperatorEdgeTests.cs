using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests.Numerics;

/// <summary>NaN, ±∞, −0, huge inputs and the kinks, at every width, as PyTorch's formulas give them.</summary>
public class OperatorEdgeTests
{
    private const float Inf = float.PositiveInfinity;
    private const float NaN = float.NaN;

    // x, forward, derivative (g = 1); NaN expects NaN. Values from PyTorch's float formulas, except where a
    // comment says the operator is deliberately more robust.
    public static TheoryData<string, float, float, float> Cases() => new()
    {
        { "ELU", NaN, NaN, 1f },                 // elu_backward: NaN fails x ≤ 0, so g passes
        { "ELU", -Inf, -1f, 0f },
        { "ELU", Inf, Inf, 1f },
        { "ELU", 0f, 0f, 1f },                   // derivative at 0 from the left side: α·e⁰
        { "SELU", -Inf, -1.05070099f * 1.67326324f, 0f },
        { "SELU", NaN, NaN, 1.05070099f },
        { "GELU", Inf, Inf, 1f },                // PyTorch: 1 + ∞·0 = NaN
        { "GELU", -Inf, NaN, 0f },               // forward −∞·0 as PyTorch; the gradient 0 (PyTorch: NaN)
        { "GELU", -1e30f, 0f, 0f },
        { "GELU", NaN, NaN, NaN },
        { "GELU", 0f, 0f, 0.5f },
        { "GELUTanh", Inf, Inf, 1f },            // PyTorch: ½ + ∞·0 = NaN
        { "GELUTanh", -1e30f, 0f, 0f },
        { "GELUTanh", 1e30f, 1e30f, 1f },
        { "GELUTanh", NaN, NaN, NaN },
        { "Sigmoid", Inf, 1f, 0f },
        { "Sigmoid", -Inf, 0f, 0f },
        { "Sigmoid", -1e30f, 0f, 0f },
        { "Sigmoid", 0f, 0.5f, 0.25f },
        { "Sigmoid", NaN, NaN, NaN },
        { "Tanh", Inf, 1f, 0f },
        { "Tanh", -Inf, -1f, 0f },
        { "Tanh", 10f, 1f, 8.24461455e-9f },    // 1 − tanh² = 4e⁻²⁰/(1 + e⁻²⁰)², where PyTorch's 1 − y² gives 0
        { "Tanh", NaN, NaN, NaN },
        { "ArcTan", Inf, MathF.PI / 2, 0f },
        { "ArcTan", -Inf, -MathF.PI / 2, 0f },
        { "ArcTan", NaN, NaN, NaN },
        { "Softsign", Inf, NaN, 0f },            // ∞/(1 + ∞), as PyTorch
        { "Softsign", 3e38f, 1f, 0f },
        { "SiLU", Inf, Inf, 1f },
        { "SiLU", -Inf, NaN, 0f },               // forward −∞·0 as PyTorch; the gradient stays 0 (PyTorch: NaN)
        { "SiLU", -1e30f, 0f, 0f },
        { "SiLU", NaN, NaN, NaN },
        { "Swish2", -3e38f, 0f, 0f },            // βx = −∞: g·σ, not 0·∞
        { "Mish", Inf, Inf, 1f },
        { "Mish", -1e30f, 0f, 0f },
        { "Mish", 1e30f, 1e30f, 1f },
        { "Mish", NaN, NaN, NaN },
        { "Softplus", Inf, Inf, 1f },
        { "Softplus", -Inf, 0f, 0f },
        { "Softplus", 1e30f, 1e30f, 1f },
        { "Softplus", NaN, NaN, NaN },
        { "Softplus100", 95f, 95f, 1f },        // under a threshold of 100, PyTorch's log1p(e⁹⁵) is ∞ and its gradient ∞/∞
        { "HardSigmoid", -3f, 0f, 0f },
        { "HardSigmoid", 3f, 1f, 0f },
        { "HardSigmoid", 0f, 0.5f, 1f / 6 },
        { "HardSigmoid", NaN, NaN, 0f },
        { "HardSigmoid", Inf, 1f, 0f },
        { "HardSwish", -3f, 0f, -0.5f },
        { "HardSwish", 3f, 3f, 1.5f },
        { "HardSwish", -Inf, NaN, 0f },          // −∞·0, as PyTorch
        { "HardSwish", 1e38f, 1e38f, 1f },       // PyTorch's x·6 overflows to ∞ here
        { "HardSwish", NaN, NaN, 1f },
        { "Isru", Inf, 1f, 0f },
        { "Isru", -1e30f, -1f, 0f },
        { "Isru4", Inf, 0.5f, 0f },
        { "Isrlu", Inf, Inf, 1f },
        { "Isrlu", -Inf, -1f, 0f },
        { "SquareNonlinearity", Inf, 1f, 0f },
        { "SquareNonlinearity", -Inf, -1f, 0f },
        { "SquareNonlinearity", 2f, 1f, 0f },
        { "SquareNonlinearity", -2f, -1f, 0f },
        { "SquareNonlinearity", NaN, NaN, NaN },
        { "BinaryStep", 0f, 1f, 0f },
        { "BinaryStep", NaN, 0f, 0f },
        { "BinaryStep", -Inf, 0f, 0f },
        { "PReLU", NaN, NaN, 0.25f },
        { "PReLU", 0f, 0f, 0.25f },
        { "ReLU", NaN, NaN, 1f },                // threshold_backward: NaN fails x ≤ 0, so g passes
        { "ReLU", 0f, 0f, 0f },
        { "ReLU", -Inf, 0f, 0f },
        { "ReLU", Inf, Inf, 1f },
        { "HardTanh", NaN, NaN, 1f },            // hardtanh_backward: NaN fails both x ≤ min and x ≥ max
        { "HardTanh", -1f, -1f, 0f },
        { "HardTanh", 1f, 1f, 0f },
        { "HardTanh", 0.5f, 0.5f, 1f },
        { "HardTanh", -Inf, -1f, 0f },
        { "LeakyReLU", NaN, NaN, 0.01f },        // leaky_relu_backward: NaN fails x > 0, so g·slope
    };

    public static TheoryData<string> Names() => new(Cases().Select(c => (string)c[0]).Distinct());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Operator_SpecialInput_GivesPyTorchValueAtEveryWidth(string name, float x, float forward, float derivative)
    {
        foreach ((float f, float b) in Probe(name, x, 1f))
        {
            AssertValue(forward, f, $"{name}({x:R})");
            AssertValue(derivative, b, $"{name}′({x:R})");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Operator_NegativeZero_KeepsTheSignOfOddFunctions(string name)
    {
        bool odd = name is "ELU" or "SELU" or "GELU" or "GELUTanh" or "Tanh" or "ArcTan" or "Softsign" or "SiLU" or "Swish2"
            or "Mish" or "Isru" or "Isru4" or "Isrlu" or "SquareNonlinearity" or "PReLU";
        foreach ((float f, _) in Probe(name, -0f, 1f))
        {
            if (odd)
            {
                Assert.True(f == 0 && float.IsNegative(f), $"{name}(−0) = {f:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Operator_HugeFiniteInput_HasAFiniteGradient(string name)
    {
        float[] inputs = [1e5f, 88.8f, 104f, 1e10f, 1e20f, 1e30f, float.MaxValue];
        foreach (float x in inputs.Concat(inputs.Select(v => -v)))
        {
            foreach ((float f, float b) in Probe(name, x, 1f))
            {
                Assert.True(float.IsFinite(b), $"{name}′({x:R}) = {b:R}");
                Assert.True(float.IsFinite(f) || (name == "SELU" && x > 3e38f), $"{name}({x:R}) = {f:R}");
            }
        }
    }

    [Fact]
    public void BinaryStep_NaNGradient_IsStillZero()
    {
        Assert.All(Probe("BinaryStep", 1f, NaN), r => Assert.Equal(0f, r.Backward));
    }

    internal static (float Forward, float Backward)[] Probe(string name, float x, float g) => name switch
    {
        "ELU" => OperatorProbe.EveryWidth(new EluOperator(1f), x, g),
        "SELU" => OperatorProbe.EveryWidth(new SeluOperator(), x, g),
        "GELU" => OperatorProbe.EveryWidth(new GeluOperator(), x, g),
        "GELUTanh" => OperatorProbe.EveryWidth(new GeluTanhOperator(), x, g),
        "Sigmoid" => OperatorProbe.EveryWidth(new SigmoidOperator(), x, g),
        "Tanh" => OperatorProbe.EveryWidth(new TanhOperator(), x, g),
        "ArcTan" => OperatorProbe.EveryWidth(new ArcTanOperator(), x, g),
        "Softsign" => OperatorProbe.EveryWidth(new SoftsignOperator(), x, g),
        "SiLU" => OperatorProbe.EveryWidth(new SiluOperator(), x, g),
        "Swish2" => OperatorProbe.EveryWidth(new SwishOperator(2f), x, g),
        "Mish" => OperatorProbe.EveryWidth(new MishOperator(), x, g),
        "Softplus" => OperatorProbe.EveryWidth(new SoftplusOperator(1f, 20f), x, g),
        "Softplus100" => OperatorProbe.EveryWidth(new SoftplusOperator(1f, 100f), x, g),
        "HardSigmoid" => OperatorProbe.EveryWidth(new HardSigmoidOperator(), x, g),
        "HardSwish" => OperatorProbe.EveryWidth(new HardSwishOperator(), x, g),
        "Isru" => OperatorProbe.EveryWidth(new IsruOperator(1f), x, g),
        "Isru4" => OperatorProbe.EveryWidth(new IsruOperator(4f), x, g),
        "Isrlu" => OperatorProbe.EveryWidth(new IsrluOperator(1f), x, g),
        "SquareNonlinearity" => OperatorProbe.EveryWidth(new SquareNonlinearityOperator(), x, g),
        "BinaryStep" => OperatorProbe.EveryWidth(new BinaryStepOperator(), x, g),
        "PReLU" => OperatorProbe.EveryWidth(new PReluOperator(0.25f), x, g),
        "ReLU" => OperatorProbe.EveryWidth(new ReluOperator(), x, g),
        "HardTanh" => OperatorProbe.EveryWidth(new HardTanhOperator(-1f, 1f), x, g),
        "LeakyReLU" => OperatorProbe.EveryWidth(new LeakyReluOperator(0.01f), x, g),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown operator"),
    };

    /// <summary>NaN for NaN, exact for zeros and infinities, else within 2 ulps.</summary>
    private static void AssertValue(float expected, float actual, string what)
    {
        if (float.IsNaN(expected) || !float.IsFinite(expected) || expected == 0)
        {
            Assert.True(expected.Equals(actual), $"{what}: expected {expected:R}, got {actual:R}");
            return;
        }

        Assert.True(Math.Abs(actual - expected) <= 2 * (MathF.BitIncrement(Math.Abs(expected)) - Math.Abs(expected)),
            $"{what}: expected {expected:R}, got {actual:R}");
    }
}
