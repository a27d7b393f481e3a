using System.Collections.Generic;
using System.Collections.Immutable;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Parse;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FusedOps.Generator.Analyzers;

/// <summary>
/// FOPS0010: a class declaration that carries layer attributes but whose type has no <c>[FusedPipeline]</c>.
/// An analyzer rather than a generator step, so that the generator looks only at <c>[FusedPipeline]</c>
/// classes (ForAttributeWithMetadataName) instead of binding every attributed class on every keystroke.
/// Reported once per declaration, on its first layer attribute.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OrphanLayersAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.LayersWithoutPipeline);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            // Without the runtime there are no layer attributes: nothing to look at in this compilation.
            if (start.Compilation.GetTypeByMetadataName(WellKnownNames.FusedPipelineAttribute) is { } pipeline)
            {
                start.RegisterSymbolAction(symbol => Analyze(symbol, pipeline), SymbolKind.NamedType);
            }
        });
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol pipeline)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Class)
        {
            return;
        }

        var layers = new List<SyntaxReference>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, pipeline))
            {
                return;
            }

            if (PipelineParser.IsLayerAttribute(attribute.AttributeClass) && attribute.ApplicationSyntaxReference is { } application)
            {
                layers.Add(application);
            }
        }

        foreach (SyntaxReference declaration in type.DeclaringSyntaxReferences)
        {
            // Attributes come in declaration order, so the first inside a declaration is the one written first.
            SyntaxReference? first = layers.Find(a => a.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(a.Span));
            if (first is not null)
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayersWithoutPipeline, first.GetSyntax(context.CancellationToken).GetLocation(), type.Name));
            }
        }

    }
}
