from tests.referrals.conftest import people

__all__ = ["people"]  # the referral tests' people (a teacher who refers, the SPOC who is told)
