"""What a reliability test measured, kept where a reviewer sees it: in the terminal
summary of every run (``make test`` captures the output of passing tests), printed
when the test ends however it ends, and in every assertion message of its checks."""


class Figures(dict):
    """Named figures in the order they were measured."""

    def __str__(self) -> str:
        return "\n".join(f"  {name}: {value}" for name, value in self.items())

    def expect(self, condition, message: str) -> None:
        """Asserts ``condition``; the failure says ``message`` and every figure."""
        assert condition, f"{message}\n{self}"
