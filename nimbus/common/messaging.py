"""oslo.messaging and oslo.versionedobjects, imported without their import-time noise.

Importing oslo.messaging imports oslo.service, which loads its eventlet
backend (without monkey-patching anything: Nimbus's servers run the
"threading" executor); eventlet and oslo.utils then print deprecation
warnings (eventlet's, and DeprecationWarnings of oslo.service and oslo.utils
modules nobody calls) that say nothing about Nimbus to every command. Nimbus
imports both libraries through this module so that those are silenced, and
only during this import.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    # eventlet imports dnspython, which names DSA keys cryptography deprecates.
    warnings.filterwarnings("ignore", message=r"DSA is deprecated")
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging
    import oslo_messaging.opts
    import oslo_messaging.transport
    from oslo_versionedobjects import base as ovo_base
    from oslo_versionedobjects import fields as ovo_fields

__all__ = ["oslo_messaging", "ovo_base", "ovo_fields"]
