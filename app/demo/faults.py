"""The demo city's service reference data: what breaks, what fixes it, what it costs, what
customers say afterwards. Plain tables; `workday` draws from them."""

# ruff: noqa: E501  (one record per line reads best in these tables)

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Fault:
    """A problem as the customer reports it, and how the technician usually closes it."""

    description: str
    resolution: str
    notes: str
    parts: tuple[str, ...] = ()
    """SKUs one of which the fix usually uses (none: no part needed)."""


@dataclass(frozen=True, slots=True)
class PartSpec:
    sku: str
    name: str
    skill: str
    cost: Decimal
    price: Decimal
    category: str
    accessory: bool = False


def _d(value: str) -> Decimal:
    return Decimal(value)


PARTS: tuple[PartSpec, ...] = (
    PartSpec("AC-CAP-35UF", "Run capacitor 35 uF", "ac_repair", _d("180"), _d("450"), "electrical-spares"),
    PartSpec("AC-GAS-R32", "R32 refrigerant top-up (1 kg)", "ac_repair", _d("900"), _d("2200"), "refrigerant-gas"),
    PartSpec("AC-PCB-IDU", "Indoor unit control board", "ac_repair", _d("2800"), _d("5500"), "pcb"),
    PartSpec("AC-FAN-ODU", "Outdoor unit fan motor", "ac_repair", _d("1900"), _d("3800"), "motors"),
    PartSpec("AC-DRAIN-3M", "Drain pipe (3 m)", "ac_repair", _d("60"), _d("150"), "consumables"),
    PartSpec("AC-KIT-INSTALL", "Installation kit: copper pipe 3 m, insulation, bracket", "ac_install", _d("1400"), _d("2600"), "installation"),
    PartSpec("REF-THERMOSTAT", "Refrigerator thermostat", "refrigeration", _d("350"), _d("850"), "electrical-spares"),
    PartSpec("REF-RELAY-OLP", "Compressor relay and overload protector", "refrigeration", _d("250"), _d("650"), "electrical-spares"),
    PartSpec("REF-GASKET", "Door gasket", "refrigeration", _d("600"), _d("1400"), "cosmetic"),
    PartSpec("REF-GAS-R600A", "R600a refrigerant charge", "refrigeration", _d("700"), _d("1800"), "refrigerant-gas"),
    PartSpec("REF-DEFROST-HTR", "Defrost heater", "refrigeration", _d("450"), _d("1100"), "electrical-spares"),
    PartSpec("WM-DRAIN-PUMP", "Washing machine drain pump", "washing_machine", _d("650"), _d("1500"), "motors"),
    PartSpec("WM-BELT", "Drive belt", "washing_machine", _d("200"), _d("550"), "consumables"),
    PartSpec("WM-INLET-VALVE", "Water inlet valve", "washing_machine", _d("400"), _d("950"), "electrical-spares"),
    PartSpec("WM-PCB", "Washing machine control board", "washing_machine", _d("2500"), _d("4900"), "pcb"),
    PartSpec("WM-BEARING-KIT", "Drum bearing and seal kit", "washing_machine", _d("900"), _d("2100"), "mechanical"),
    PartSpec("TV-PSU-BOARD", "TV power supply board", "tv_electronics", _d("1800"), _d("3600"), "pcb"),
    PartSpec("TV-BACKLIGHT", "LED backlight strip set", "tv_electronics", _d("900"), _d("2200"), "electrical-spares"),
    PartSpec("TV-WALL-MOUNT", "Fixed wall-mount bracket", "tv_electronics", _d("500"), _d("1200"), "accessories", accessory=True),
    PartSpec("RO-FILTER-SET", "RO pre-filter set (sediment and carbon)", "plumbing", _d("700"), _d("1650"), "consumables"),
    PartSpec("RO-MEMBRANE", "RO membrane 80 GPD", "plumbing", _d("900"), _d("2300"), "filters"),
    PartSpec("GY-ELEMENT-2KW", "Geyser heating element 2 kW", "plumbing", _d("450"), _d("1100"), "electrical-spares"),
    PartSpec("GY-THERMOSTAT", "Geyser thermostat", "plumbing", _d("300"), _d("750"), "electrical-spares"),
    PartSpec("GY-ANODE-ROD", "Magnesium anode rod", "plumbing", _d("250"), _d("600"), "consumables"),
    PartSpec("GAS-HOSE-ISI", "ISI-marked LPG hose (1.5 m)", "gas_safety", _d("180"), _d("450"), "consumables"),
    PartSpec("GAS-REGULATOR", "LPG regulator", "gas_safety", _d("400"), _d("950"), "safety"),
    PartSpec("GAS-BURNER-CAP", "Brass burner cap set", "gas_safety", _d("250"), _d("600"), "cosmetic"),
    PartSpec("INV-DISTILLED-5L", "Battery distilled water (5 L)", "solar_inverter", _d("60"), _d("150"), "consumables"),
    PartSpec("INV-FUSE-SET", "Inverter fuse set", "solar_inverter", _d("40"), _d("120"), "consumables"),
    PartSpec("INV-CONTROL-CARD", "Inverter control card", "solar_inverter", _d("1600"), _d("3400"), "pcb"),
    PartSpec("SOL-DC-MCB-32A", "DC MCB 32 A for the solar string", "solar_inverter", _d("350"), _d("850"), "electrical-spares"),
    PartSpec("EL-MCB-16A", "MCB 16 A", "electrical", _d("180"), _d("420"), "electrical-spares"),
    PartSpec("EL-SOCKET-15A", "15 A socket with switch", "electrical", _d("90"), _d("250"), "electrical-spares"),
    PartSpec("FTTH-PATCH-SCAPC", "SC/APC fibre patch cord", "telecom_fibre", _d("90"), _d("250"), "consumables"),
    PartSpec("FTTH-ONT-PSU", "ONT power adapter", "telecom_fibre", _d("250"), _d("600"), "electrical-spares"),
)  # fmt: skip

MODEL_SKILLS: tuple[tuple[str, str, str], ...] = (
    # a word in the model's name -> (skill to repair it, skill to install it)
    (" AC", "ac_repair", "ac_install"),
    ("Refrigerator", "refrigeration", "refrigeration"),
    ("Visi Cooler", "refrigeration", "refrigeration"),
    ("Deep Freezer", "refrigeration", "refrigeration"),
    ("Washing Machine", "washing_machine", "washing_machine"),
    (" TV", "tv_electronics", "tv_electronics"),
    ("Water Purifier", "plumbing", "plumbing"),
    ("Water Heater", "plumbing", "plumbing"),
    ("Gas", "gas_safety", "gas_safety"),
    ("Inverter", "solar_inverter", "solar_inverter"),
    ("Battery", "solar_inverter", "solar_inverter"),
    ("Solar", "solar_inverter", "electrical"),
    ("Router", "telecom_fibre", "telecom_fibre"),
    ("ONT", "telecom_fibre", "telecom_fibre"),
)


def skills_of(model_name: str) -> tuple[str, str]:
    """(repair skill, installation skill) of a product model, by its name."""
    for word, repair, install in MODEL_SKILLS:
        if word in model_name:
            return repair, install
    return "electrical", "electrical"


FAULTS: dict[str, tuple[Fault, ...]] = {
    "ac_repair": (
        Fault(
            "AC not cooling, only the fan is running.",
            "GAS_TOPPED_UP",
            "Leak at the flare joint sealed, refrigerant topped up; cooling back to 9 C difference.",
            ("AC-GAS-R32",),
        ),
        Fault(
            "Water leak from the indoor unit onto the wall.",
            "DRAIN_CLEARED",
            "Drain line choked with algae; flushed and re-routed with a new pipe.",
            ("AC-DRAIN-3M",),
        ),
        Fault(
            "Outdoor unit does not start, AC not working.",
            "PART_REPLACED",
            "Run capacitor had failed; replaced and tested under load.",
            ("AC-CAP-35UF",),
        ),
        Fault(
            "Burning smell and a little smoke from the indoor unit.",
            "PART_REPLACED",
            "Control board burnt near the relay; board replaced, wiring checked.",
            ("AC-PCB-IDU",),
        ),
        Fault(
            "Loud rattling noise from the outdoor unit.",
            "PART_REPLACED",
            "Fan motor bearing worn; motor replaced.",
            ("AC-FAN-ODU",),
        ),
        Fault(
            "Display blinks E5 and the remote does nothing.",
            "RESET_ADJUSTED",
            "Sensor connector loose; reseated, error cleared, customer shown the reset.",
        ),
    ),
    "ac_install": (
        Fault(
            "AC not cooling after relocation by a local mechanic.",
            "REINSTALLED",
            "Flare joints redone, vacuumed and recharged.",
            ("AC-KIT-INSTALL",),
        ),
    ),
    "refrigeration": (
        Fault(
            "Fridge not cooling, food is spoiling.",
            "PART_REPLACED",
            "Thermostat stuck open; replaced, cabinet at 4 C within the hour.",
            ("REF-THERMOSTAT",),
        ),
        Fault(
            "Compressor clicks on and off, fridge not working.",
            "PART_REPLACED",
            "Relay and overload protector replaced.",
            ("REF-RELAY-OLP",),
        ),
        Fault(
            "Door does not close properly, the gasket is torn.",
            "PART_REPLACED",
            "Door gasket replaced and door aligned.",
            ("REF-GASKET",),
        ),
        Fault(
            "Ice build-up in the freezer, water collects under the fridge.",
            "PART_REPLACED",
            "Defrost heater open circuit; replaced, drain cleared.",
            ("REF-DEFROST-HTR",),
        ),
        Fault(
            "Visi cooler not cooling, stock at risk.",
            "GAS_TOPPED_UP",
            "Pin-hole leak brazed, R600a recharged.",
            ("REF-GAS-R600A",),
        ),
    ),
    "washing_machine": (
        Fault(
            "Machine does not drain, shows error OE.",
            "PART_REPLACED",
            "Drain pump jammed by a coin; pump replaced.",
            ("WM-DRAIN-PUMP",),
        ),
        Fault(
            "Drum does not spin.",
            "PART_REPLACED",
            "Drive belt snapped; new belt fitted.",
            ("WM-BELT",),
        ),
        Fault(
            "Water leak during the wash cycle.",
            "PART_REPLACED",
            "Inlet valve cracked; replaced.",
            ("WM-INLET-VALVE",),
        ),
        Fault(
            "Display dead, machine not working.",
            "PART_REPLACED",
            "Control board damaged by a voltage surge; replaced. Stabiliser advised.",
            ("WM-PCB",),
        ),
        Fault(
            "Very loud noise while spinning.",
            "PART_REPLACED",
            "Drum bearings worn; bearing and seal kit replaced.",
            ("WM-BEARING-KIT",),
        ),
        Fault(
            "Machine stops mid-cycle.",
            "RESET_ADJUSTED",
            "Door lock sensor dirty; cleaned, full cycle tested.",
        ),
    ),
    "tv_electronics": (
        Fault(
            "TV does not turn on, standby light blinking.",
            "PART_REPLACED",
            "Power supply board failed; replaced.",
            ("TV-PSU-BOARD",),
        ),
        Fault(
            "Sound but no picture.",
            "PART_REPLACED",
            "Two backlight strips dead; full set replaced.",
            ("TV-BACKLIGHT",),
        ),
        Fault(
            "Wi-Fi does not connect, apps do not load.",
            "RESET_ADJUSTED",
            "Firmware updated, network reset, apps signed in again.",
        ),
        Fault(
            "TV to be moved to the bedroom wall.",
            "REINSTALLED",
            "Mounted on the new wall, cables concealed.",
            ("TV-WALL-MOUNT",),
        ),
    ),
    "plumbing": (
        Fault(
            "Purified water tastes salty.",
            "PART_REPLACED",
            "Membrane exhausted; membrane and pre-filters replaced, TDS 60.",
            ("RO-MEMBRANE", "RO-FILTER-SET"),
        ),
        Fault(
            "Geyser does not heat the water.",
            "PART_REPLACED",
            "Heating element burnt out; replaced and descaled.",
            ("GY-ELEMENT-2KW",),
        ),
        Fault(
            "Water leak from under the purifier.",
            "FITTING_TIGHTENED",
            "Loose push-fit joint; pipe recut and refitted.",
        ),
        Fault(
            "Geyser trips the MCB every time.",
            "PART_REPLACED",
            "Thermostat shorted; replaced, insulation resistance checked.",
            ("GY-THERMOSTAT",),
        ),
    ),
    "gas_safety": (
        Fault(
            "Smell of gas near the hob, suspect a gas leak.",
            "PART_REPLACED",
            "Perished hose replaced with an ISI hose, regulator swapped; soap test passed.",
            ("GAS-HOSE-ISI", "GAS-REGULATOR"),
        ),
        Fault(
            "Burner flame yellow and uneven.",
            "CLEANED_SERVICED",
            "Burners cleaned, air shutter adjusted; blue flame.",
            ("GAS-BURNER-CAP",),
        ),
        Fault(
            "Auto-ignition not working.", "RESET_ADJUSTED", "Igniter electrode cleaned and gap set."
        ),
    ),
    "solar_inverter": (
        Fault(
            "Inverter beeps and there is no power during power cuts.",
            "PART_REPLACED",
            "Blown fuse and dry battery; fuse replaced, battery topped up.",
            ("INV-FUSE-SET", "INV-DISTILLED-5L"),
        ),
        Fault(
            "Battery backup lasts only 20 minutes.",
            "CLEANED_SERVICED",
            "Terminals cleaned, distilled water topped up, equalising charge set.",
            ("INV-DISTILLED-5L",),
        ),
        Fault(
            "Solar generation dropped, inverter shows a grid fault.",
            "PART_REPLACED",
            "DC MCB on string 2 had failed; replaced, generation normal.",
            ("SOL-DC-MCB-32A",),
        ),
        Fault(
            "Inverter not working after a voltage fluctuation.",
            "PART_REPLACED",
            "Control card damaged; replaced and tested on mains and battery.",
            ("INV-CONTROL-CARD",),
        ),
    ),
    "electrical": (
        Fault(
            "Sparking from the switchboard in the kitchen.",
            "PART_REPLACED",
            "Burnt socket replaced, loose neutral tightened.",
            ("EL-SOCKET-15A",),
        ),
        Fault(
            "MCB keeps tripping in the evening.",
            "PART_REPLACED",
            "Weak MCB replaced, load split across circuits.",
            ("EL-MCB-16A",),
        ),
    ),
    "telecom_fibre": (
        Fault(
            "No internet, LOS light red on the ONT.",
            "PART_REPLACED",
            "Patch cord bent at the wall box; replaced, -19 dBm.",
            ("FTTH-PATCH-SCAPC",),
        ),
        Fault(
            "Wi-Fi slow in the bedrooms.",
            "RESET_ADJUSTED",
            "Channel changed, router moved to the hall; 300 Mbps in the bedrooms.",
        ),
        Fault(
            "ONT does not power on.",
            "PART_REPLACED",
            "Power adapter dead; replaced.",
            ("FTTH-ONT-PSU",),
        ),
    ),
}

MAINTENANCE: dict[str, str] = {
    "ac_repair": "Scheduled service: filters, coil and drain cleaning, gas pressure check.",
    "ac_install": "Scheduled service: filters, coil and drain cleaning, gas pressure check.",
    "refrigeration": "Preventive maintenance: condenser cleaning and temperature check.",
    "washing_machine": "Drum cleaning and inlet filter service.",
    "tv_electronics": "Firmware update and picture calibration.",
    "plumbing": "Periodic service: filter change and TDS check.",
    "gas_safety": "Annual gas safety check of the hob and the connection.",
    "solar_inverter": "Battery and panel maintenance visit.",
    "electrical": "Earthing and distribution board check.",
    "telecom_fibre": "Router health check and signal test.",
}
INSPECTIONS = (
    "Site survey before installation: wall, power point and outdoor space.",
    "Inspection after the customer reported a burning smell last week; nothing running now.",
    "Warranty inspection requested by the manufacturer.",
    "Pre-monsoon inspection of outdoor units and wiring.",
)
INSTALL_NOTES = (
    "Installed, demonstrated to the customer and registered for warranty.",
    "Installed; stand and stabiliser provided by the customer.",
)
PREREQUISITES = (
    "Keep the installation wall clear of furniture",
    "A 15 A power socket within 1.5 m",
    "Access to the balcony or terrace for the outdoor unit",
    "Keep the purchase invoice ready for warranty registration",
)

RATINGS = ((5, 55), (4, 28), (3, 9), (2, 5), (1, 3))
COMMENTS: dict[int, tuple[str, ...]] = {
    5: (
        "Very polite and explained everything clearly.",
        "Came on time and cleaned up after the work.",
        "Quick fix, thank you!",
        "Excellent service, will recommend.",
    ),
    4: (
        "Good work, arrived a little late.",
        "Problem solved, but the part was expensive.",
        "Neat job.",
    ),
    3: ("Okay. Had to call twice to get the appointment.", "Fixed, but took longer than told."),
    2: (
        "Technician did not carry the right part, second visit needed.",
        "Arrived two hours late without calling.",
    ),
    1: ("Problem came back the next day.", "Rude on the phone and left a mess."),
}
CANCEL_REASONS = (
    "Customer travelling, will rebook next week.",
    "The problem went away after a power reset.",
    "Customer booked the manufacturer's service centre instead.",
    "Duplicate booking made on WhatsApp and on the website.",
    "Society does not allow work on that day.",
)
INCOMPLETE_REASONS = (
    "Spare part not in the van; ordered from the warehouse.",
    "Customer not at home; neighbour had no key.",
    "Outdoor unit needs a second technician and a ladder.",
    "Customer wants an estimate before the part is replaced.",
)
CHANNELS = (
    ("PHONE", 30), ("WHATSAPP", 30), ("WEB", 20), ("EMAIL", 6), ("CHATBOT", 6), ("API", 4), ("MANUAL", 4),
)  # fmt: skip
LABOUR_RATES: tuple[tuple[str, str, str], ...] = (
    # category, per hour, minimum charge (INR)
    ("INSTALLATION", "500", "500"),
    ("REPAIR", "450", "350"),
    ("MAINTENANCE", "400", "400"),
    ("INSPECTION", "350", "250"),
    ("REPLACEMENT", "450", "350"),
)
TAX_RATES: tuple[tuple[str, str], ...] = (("SAC-9987", "18"), ("HSN-GOODS", "18"))
CALL_OUT_FEE = "199"
