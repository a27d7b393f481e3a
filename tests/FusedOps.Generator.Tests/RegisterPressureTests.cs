using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The generated Vector256 and Vector128 register blocks fit x64's 16 ymm / xmm registers: in the tap loop of every <c>…256xR</c>
/// and <c>…128xR</c> block, the accumulators held across the loop plus the loop's own vector values live at any one statement
/// number at most 16. At 17 the JIT keeps one accumulator on the stack and stores and reloads it every tap (measured: direct
/// convolutions at 40 % of the FMA peak on an AVX2-only machine instead of the 512-bit path's 74 %).
/// </summary>
public sealed class RegisterPressureTests
{
    private const int YmmRegisters = 16;

    public static TheoryData<string, string> Pipelines => new()
    {
        { "ConvBnRelu", "[FusedPipeline(16, 32, 32)] [Conv2d(32, 3, Padding = 1)] [BatchNorm] [ReLU]" },
        { "ConvPool", "[FusedPipeline(16, 32, 32)] [Conv2d(32, 3, Padding = 1)] [BatchNorm] [ReLU] [MaxPool2d(3)]" },
        { "WideConv", "[FusedPipeline(64, 56, 56)] [Conv2d(64, 3, Padding = 1)] [BatchNorm] [ReLU]" },
        {
            "Residual",
            "[FusedPipeline(1, 28, 28)] [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU] [Save(\"a\")] [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU] "
            + "[Conv2d(16, 3, Padding = 1)] [BatchNorm] [Add(\"a\")] [ReLU] [MaxPool2d(2)] [Conv2d(32, 3, Padding = 1)] [BatchNorm] [ReLU] [MaxPool2d(2)] "
            + "[Flatten] [Linear(10)]"
        },
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void TapLoopsOf256BitBlocks_HoldAtMost16Vectors(string name, string attributes) => TapLoopsHoldAtMost16Vectors(name, attributes, 256);

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void TapLoopsOf128BitBlocks_HoldAtMost16Vectors(string name, string attributes) => TapLoopsHoldAtMost16Vectors(name, attributes, 128);

    private static void TapLoopsHoldAtMost16Vectors(string name, string attributes, int bits)
    {
        GeneratorRun run = GeneratorHarness.Run($"using FusedOps;\n\nnamespace Samples;\n\n{attributes}\npublic partial class {name} {{ }}\n");
        Assert.Null(run.Result.Exception);
        var blocks = run.Sources
            .SelectMany(s => CSharpSyntaxTree.ParseText(s.SourceText).GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>())
            .Where(m => System.Text.RegularExpressions.Regex.IsMatch(m.Identifier.Text, $@"^L\d+_[A-Za-z]+{bits}x\d+$"))
            .ToList();
        Assert.Contains(blocks, m => m.Identifier.Text.EndsWith($"{bits}x3", System.StringComparison.Ordinal));
        string vector = $"Vector{bits}";
        int loops = 0;
        foreach (MethodDeclarationSyntax method in blocks)
        {
            // The innermost loops with the FMAs (a 128-bit block's tap loop sits in the loop over the panel's halves).
            foreach (ForStatementSyntax loop in method.DescendantNodes().OfType<ForStatementSyntax>()
                .Where(f => f.Statement.ToString().Contains("Simd.Fma") && !f.Statement.DescendantNodes().OfType<ForStatementSyntax>().Any()))
            {
                loops++;
                int live = MostLiveVectors(loop, vector);
                Assert.True(live <= YmmRegisters, $"{name}: {method.Identifier.Text} holds {live} {vector} values in its tap loop; x64 has {YmmRegisters}.");
            }
        }

        Assert.True(loops >= blocks.Count, $"{name}: {loops} tap loops in {blocks.Count} {bits}-bit blocks.");
    }

    // Accumulators (vectors declared before the loop and used in it) stay live throughout; a vector declared in the loop is
    // live from its statement to the last statement that reads it.
    private static int MostLiveVectors(ForStatementSyntax loop, string vector)
    {
        var statements = ((BlockSyntax)loop.Statement).Statements;
        var inLoop = new Dictionary<string, (int Def, int LastUse)>();
        for (int s = 0; s < statements.Count; s++)
        {
            foreach (VariableDeclaratorSyntax v in statements[s].DescendantNodesAndSelf().OfType<VariableDeclaratorSyntax>())
            {
                if (v.Parent is VariableDeclarationSyntax d && d.Type.ToString().StartsWith(vector, System.StringComparison.Ordinal))
                {
                    inLoop[v.Identifier.Text] = (s, s);
                }
            }
        }

        for (int s = 0; s < statements.Count; s++)
        {
            foreach (IdentifierNameSyntax id in statements[s].DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (inLoop.TryGetValue(id.Identifier.Text, out var range) && s > range.Def)
                {
                    inLoop[id.Identifier.Text] = (range.Def, s);
                }
            }
        }

        var used = loop.Statement.DescendantNodes().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.Text).ToHashSet();
        int accumulators = ((BlockSyntax)loop.Parent!).Statements.TakeWhile(st => !st.Contains(loop))
            .SelectMany(st => st.DescendantNodesAndSelf().OfType<VariableDeclaratorSyntax>())
            .Count(v => v.Parent is VariableDeclarationSyntax d && d.Type.ToString().StartsWith(vector, System.StringComparison.Ordinal) && used.Contains(v.Identifier.Text));
        int most = 0;
        for (int s = 0; s < statements.Count; s++)
        {
            most = System.Math.Max(most, accumulators + inLoop.Values.Count(r => r.Def <= s && s <= r.LastUse));
        }

        return most;
    }
}
