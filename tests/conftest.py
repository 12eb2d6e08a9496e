import os

from hypothesis import HealthCheck, settings

# Property tests run 50 examples each by default; HYPOTHESIS_PROFILE=thorough runs 600 (by hand).
_common = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("default", max_examples=50, **_common)
settings.register_profile("thorough", max_examples=600, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
