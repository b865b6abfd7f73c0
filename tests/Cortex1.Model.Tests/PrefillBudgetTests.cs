using Cortex1.Model.Generation;

namespace Cortex1.Model.Tests;

public class PrefillBudgetTests
{
    static int[] Prompt(int length, int token = 1) => Enumerable.Repeat(token, length).ToArray();

    /// <summary>Takes prompts in order while they fit, as the Generator and the scheduler do.</summary>
    static int Taken(PrefillBudget budget, IEnumerable<int[]> prompts)
    {
        var taken = 0;
        foreach (var p in prompts)
        {
            if (!budget.Fits(p)) break;
            budget.Add(p);
            taken++;
        }
        return taken;
    }

    [Fact]
    public void PromptsJoinWhileTheirTokensFit()
    {
        var budget = new PrefillBudget(10);
        Assert.Equal(2, Taken(budget, [Prompt(4), Prompt(6, 2), Prompt(1, 3)]));
        Assert.Equal(10, budget.Tokens);
    }

    [Fact]
    public void TheFirstPromptAlwaysRunsEvenPastTheBudget()
    {
        var budget = new PrefillBudget(10);
        Assert.Equal(1, Taken(budget, [Prompt(25), Prompt(1, 2)]));
        Assert.Equal(1, Taken(new PrefillBudget(0), [Prompt(3), Prompt(3, 2)]));
    }

    [Fact]
    public void ARepeatOfThePreviousPromptCostsNothing()
    {
        // Extend runs identical fresh prompts once: n choices (a GRPO group) share one prefill.
        var budget = new PrefillBudget(10);
        Assert.Equal(4, Taken(budget, [Prompt(8), Prompt(8), Prompt(8), Prompt(2, 2), Prompt(1, 3)]));
        Assert.Equal(10, budget.Tokens);
    }
}
