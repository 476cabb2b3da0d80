"""What the tests share: fakes of the vendors and the stack, the real processes they start,
one metrics parser and one wait_for. Test modules import from here, never from each other."""
