"""The demo city's reference data: skills, partners, product models, names, notes."""

# ruff: noqa: E501  (one record per line reads best in these tables)

from __future__ import annotations

from dataclasses import dataclass

SKILLS: tuple[tuple[str, str, str], ...] = (
    ("ac_repair", "AC repair", "Diagnose and repair split, window and cassette air conditioners."),
    ("ac_install", "AC installation", "Install, uninstall and relocate air conditioners; vacuum and gas charging."),
    ("refrigeration", "Refrigeration", "Refrigerators, deep freezers and visi coolers: sealed system and controls."),
    ("washing_machine", "Washing machines", "Front- and top-load washing machines and dryers."),
    ("tv_electronics", "TV and electronics", "Televisions, wall mounting, panels and boards."),
    ("solar_inverter", "Solar and inverters", "Home inverters, batteries, rooftop solar and grid-tie inverters."),
    ("electrical", "Electrical", "Domestic and light-commercial wiring, MCBs, earthing (licensed electrician)."),
    ("plumbing", "Plumbing", "Water purifiers, geysers and their plumbing."),
    ("gas_safety", "Gas safety", "LPG and PNG hobs and stoves: leak tests and safe connections."),
    ("telecom_fibre", "Telecom and fibre", "FTTH installation, ONTs, routers and in-home Wi-Fi."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Trade:
    """A technician's line of work: the skills they always have and the ones some add."""

    name: str
    weight: int
    core: tuple[str, ...]
    extra: tuple[str, ...]


TRADES: tuple[Trade, ...] = (
    Trade("hvac", 35, ("ac_repair", "ac_install"), ("refrigeration", "electrical")),
    Trade("appliances", 20, ("washing_machine", "refrigeration"), ("electrical", "plumbing")),
    Trade("electronics", 12, ("tv_electronics",), ("telecom_fibre", "electrical")),
    Trade("energy", 12, ("solar_inverter", "electrical"), ("ac_install",)),
    Trade("plumbing", 11, ("plumbing", "gas_safety"), ("washing_machine", "electrical")),
    Trade("telecom", 10, ("telecom_fibre",), ("tv_electronics", "electrical")),
)


@dataclass(frozen=True, slots=True)
class PartnerCompany:
    code: str
    name: str
    domain: str
    phone: str
    trade: str
    notes: str


PARTNERS: tuple[PartnerCompany, ...] = (
    PartnerCompany("COOLBREEZE", "Cool Breeze Aircon Services Pvt Ltd", "coolbreeze.example",
                   "+918041234501", "hvac", "Authorised AC installation partner; peak season May-June."),
    PartnerCompany("SPARKLINE", "Sparkline Electricals & Solar", "sparkline.example",
                   "+918041234502", "energy", "Licensed electrical contractor; rooftop solar crews."),
    PartnerCompany("FIBRELINK", "FibreLink Field Services LLP", "fibrelink.example",
                   "+918041234503", "telecom", "FTTH and in-home Wi-Fi installations."),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Model:
    code: str
    brand: str
    name: str
    category: str
    warranty_months: int
    weight: int
    business: bool = False
    installed: bool = True
    """Whether a technician installs it (the installation date then follows the sale)."""


MODELS: tuple[Model, ...] = (
    # air conditioners
    Model("VOLTAS-183V-CZT", "Voltas", "Voltas 1.5 T 3 Star Inverter Split AC", "HVAC", 12, 9),
    Model("VOLTAS-185V-DZX", "Voltas", "Voltas 1.5 T 5 Star Inverter Split AC", "HVAC", 12, 6),
    Model("DAIKIN-FTKF50", "Daikin", "Daikin 1.5 T 5 Star Inverter Split AC", "HVAC", 12, 6),
    Model("DAIKIN-FTL35", "Daikin", "Daikin 1 T 3 Star Fixed Speed Split AC", "HVAC", 12, 4),
    Model("LG-RS-Q19YNZE", "LG", "LG 1.5 T 5 Star Dual Inverter Split AC", "HVAC", 12, 7),
    Model("SAMSUNG-AR18CY", "Samsung", "Samsung 1.5 T 3 Star WindFree Split AC", "HVAC", 12, 4),
    Model("BLUESTAR-IC318", "Blue Star", "Blue Star 1.5 T 3 Star Inverter Split AC", "HVAC", 12, 4),
    Model("CARRIER-ESTER24", "Carrier", "Carrier 2 T 3 Star Inverter Split AC", "HVAC", 12, 2, business=True),
    Model("HITACHI-RAW318", "Hitachi", "Hitachi 1.5 T 3 Star Window AC", "HVAC", 12, 2),
    Model("DAIKIN-FCQ100", "Daikin", "Daikin 3 T Ceiling Cassette AC", "HVAC", 12, 3, business=True),
    # refrigeration
    Model("LG-GL-T292", "LG", "LG 260 L 3 Star Frost-Free Double Door Refrigerator", "APPLIANCE", 12, 8, installed=False),
    Model("SAMSUNG-RT28C", "Samsung", "Samsung 253 L Convertible Double Door Refrigerator", "APPLIANCE", 12, 6, installed=False),
    Model("WHIRLPOOL-215IM", "Whirlpool", "Whirlpool 190 L 4 Star Direct Cool Refrigerator", "APPLIANCE", 12, 6, installed=False),
    Model("GODREJ-RF-EON", "Godrej", "Godrej 236 L 2 Star Double Door Refrigerator", "APPLIANCE", 12, 4, installed=False),
    Model("HAIER-HRS682", "Haier", "Haier 570 L Side-by-Side Refrigerator", "APPLIANCE", 12, 2, installed=False),
    Model("BLUESTAR-SC400", "Blue Star", "Blue Star 400 L Visi Cooler", "APPLIANCE", 12, 3, business=True),
    Model("GODREJ-DF300", "Godrej", "Godrej 300 L Hard Top Deep Freezer", "APPLIANCE", 12, 2, business=True),
    # washing machines
    Model("IFB-SENATOR-8", "IFB", "IFB 8 kg 5 Star Front Load Washing Machine", "APPLIANCE", 24, 6),
    Model("LG-T70SKSF", "LG", "LG 7 kg 5 Star Fully Automatic Top Load Washing Machine", "APPLIANCE", 24, 6),
    Model("SAMSUNG-WW70T", "Samsung", "Samsung 7 kg 5 Star Front Load Washing Machine", "APPLIANCE", 24, 4),
    Model("WHIRLPOOL-ACE75", "Whirlpool", "Whirlpool 7.5 kg Semi-Automatic Washing Machine", "APPLIANCE", 24, 4, installed=False),
    Model("BOSCH-WAJ24", "Bosch", "Bosch 8 kg 5 Star Front Load Washing Machine", "APPLIANCE", 24, 3),
    # televisions
    Model("SONY-KD55X80L", "Sony", "Sony Bravia 55 in 4K Google TV", "ELECTRONICS", 12, 4),
    Model("SAMSUNG-UA43CUE", "Samsung", "Samsung 43 in Crystal 4K Smart TV", "ELECTRONICS", 12, 6),
    Model("LG-OLED65C3", "LG", "LG 65 in OLED evo 4K Smart TV", "ELECTRONICS", 12, 2),
    Model("XIAOMI-L43M8", "Xiaomi", "Xiaomi 43 in 4K Smart TV", "ELECTRONICS", 12, 5),
    Model("TCL-50C645", "TCL", "TCL 50 in QLED 4K Google TV", "ELECTRONICS", 12, 3),
    Model("PANASONIC-TH32", "Panasonic", "Panasonic 32 in HD Ready Smart TV", "ELECTRONICS", 12, 3),
    # water purifiers and geysers
    Model("KENT-GRANDPLUS", "Kent", "Kent Grand Plus RO+UV+UF Water Purifier", "APPLIANCE", 12, 6),
    Model("AQUAGUARD-AURA", "Aquaguard", "Aquaguard Aura RO+UV Water Purifier", "APPLIANCE", 12, 6),
    Model("AOSMITH-Z9", "A. O. Smith", "A. O. Smith Z9 Hot+Normal RO Water Purifier", "APPLIANCE", 12, 3),
    Model("RACOLD-OMNIS15", "Racold", "Racold 15 L Storage Water Heater", "APPLIANCE", 24, 4),
    Model("AOSMITH-HSE25", "A. O. Smith", "A. O. Smith 25 L Storage Water Heater", "APPLIANCE", 24, 3),
    Model("PRESTIGE-GTM03", "Prestige", "Prestige 3 Burner Glass Top Gas Stove", "APPLIANCE", 24, 3),
    Model("SUNFLAME-HOB4", "Sunflame", "Sunflame 4 Burner Built-in Gas Hob", "APPLIANCE", 24, 2),
    # power and solar
    Model("LUMINOUS-ZELIO1100", "Luminous", "Luminous Zelio+ 1100 Sine Wave Inverter", "ENERGY", 24, 5),
    Model("LUMINOUS-RC18000", "Luminous", "Luminous Red Charge 150 Ah Tubular Battery", "ENERGY", 36, 4),
    Model("MICROTEK-SEBZ1050", "Microtek", "Microtek 1050 VA Sine Wave Inverter", "ENERGY", 24, 3),
    Model("EXIDE-IT500", "Exide", "Exide InvaTubular 150 Ah Battery", "ENERGY", 48, 3),
    Model("TATAPOWER-RT3KW", "Tata Power Solar", "Tata Power Solar 3 kW Rooftop System", "ENERGY", 60, 2),
    Model("WAAREE-GT5KW", "Waaree", "Waaree 5 kW On-Grid Solar Inverter", "ENERGY", 60, 1, business=True),
    # connectivity
    Model("TPLINK-ARCHERC6", "TP-Link", "TP-Link Archer C6 AC1200 Wi-Fi Router", "TELECOM", 36, 4, installed=False),
    Model("JIO-ONT-G2", "Jio", "JioFiber ONT Gateway", "TELECOM", 12, 5),
    Model("AIRTEL-XSTREAM-ONT", "Airtel", "Airtel Xstream Fiber ONT Router", "TELECOM", 12, 4),
    Model("ACT-FIBERNET-DUAL", "ACT", "ACT Fibernet Dual-Band Router", "TELECOM", 12, 2),
    Model("HUAWEI-HG8145", "Huawei", "Huawei EchoLife Business ONT", "TELECOM", 12, 1, business=True),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class NameGroup:
    """First names and surnames that go together, and the languages their speakers prefer."""

    weight: int
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    languages: tuple[tuple[str, int], ...]


NAME_GROUPS: tuple[NameGroup, ...] = (
    NameGroup(
        48,
        ("Manjunath", "Nagaraj", "Shivakumar", "Raghavendra", "Chethan", "Girish", "Suresh",
         "Ramesh", "Prakash", "Harish", "Mahesh", "Basavaraj", "Santosh", "Praveen", "Darshan",
         "Puneeth", "Yogesh", "Vinay", "Naveen", "Kiran", "Sunil", "Lokesh", "Mallikarjun",
         "Sudeep", "Pradeep", "Umesh", "Shashank", "Vishwas"),
        ("Lakshmi", "Kavya", "Pavithra", "Sowmya", "Shruthi", "Anitha", "Deepa", "Veena",
         "Rashmi", "Sahana", "Bhavya", "Spoorthi", "Chaitra", "Ramya", "Nandini", "Shwetha",
         "Ashwini", "Sindhu", "Pallavi", "Vidya", "Roopa", "Tejaswini"),
        ("Gowda", "Shetty", "Rao", "Hegde", "Bhat", "Kulkarni", "Patil", "Naik", "Murthy",
         "Prasad", "Shenoy", "Kamath", "Hiremath", "Swamy", "Achar", "Poojary", "Desai",
         "Joshi", "Kumar", "Aradhya"),
        (("kn", 55), ("en", 45)),
    ),
    NameGroup(
        22,
        ("Rahul", "Amit", "Rohit", "Vikas", "Saurabh", "Ankit", "Manish", "Rajesh", "Deepak",
         "Aditya", "Nikhil", "Pankaj", "Abhishek", "Gaurav", "Varun", "Siddharth"),
        ("Priya", "Neha", "Pooja", "Anjali", "Ritu", "Sneha", "Shalini", "Kirti", "Swati",
         "Megha", "Aditi", "Nidhi", "Shreya", "Tanvi"),
        ("Sharma", "Verma", "Gupta", "Singh", "Agarwal", "Mishra", "Jain", "Yadav", "Pandey",
         "Srivastava", "Chauhan", "Tiwari", "Saxena", "Malhotra"),
        (("hi", 45), ("en", 55)),
    ),
    NameGroup(
        20,
        ("Karthik", "Arun", "Vivek", "Sanjay", "Venkatesh", "Srinivas", "Rajiv", "Ganesh",
         "Krishna", "Sai", "Arvind", "Hari", "Ravi", "Sriram"),
        ("Meera", "Lavanya", "Keerthana", "Divya", "Revathi", "Janani", "Sangeetha", "Anusha",
         "Harini", "Swathi", "Padma", "Aparna"),
        ("Iyer", "Nair", "Menon", "Pillai", "Naidu", "Krishnan", "Subramanian", "Reddy",
         "Rajan", "Varma", "Chowdary", "Iyengar"),
        (("en", 85), ("kn", 10), ("hi", 5)),
    ),
    NameGroup(
        10,
        ("Mohammed", "Imran", "Syed", "Joseph", "Anthony", "Abdul", "Farhan", "Thomas", "Sameer"),
        ("Fathima", "Ayesha", "Maria", "Sana", "Nazia", "Priscilla", "Zoya", "Reshma"),
        ("Khan", "Pasha", "Ahmed", "D'Souza", "Fernandes", "Sheriff", "Baig", "Mathew", "Rodrigues"),
        (("en", 70), ("hi", 20), ("kn", 10)),
    ),
)  # fmt: skip

BUSINESS_PREFIXES = (
    "Sri Lakshmi", "Sri Venkateshwara", "Annapoorna", "Nandi", "Kaveri", "Shree Ganesh",
    "Vinayaka", "Brindavan", "Mysore", "Udupi", "Sagar", "Green Leaf", "Basava", "Chamundi",
    "Malnad", "Cubbon", "Lalbagh", "Garden City", "Silicon", "Deccan", "Karavali", "Namma",
)  # fmt: skip
BUSINESS_KINDS = (
    ("Enterprises", 8), ("Traders", 6), ("Darshini", 6), ("Cafe", 5), ("Clinic", 5),
    ("Multispeciality Hospital", 2), ("Public School", 3), ("Supermarket", 5), ("Bakery", 5),
    ("Pharma", 3), ("Tech Park Facilities", 2), ("Apartment Owners Association", 5),
    ("Textiles", 3), ("Sweets", 3), ("Hotel", 4), ("Diagnostics", 2), ("Co-working", 2),
    ("Fitness Studio", 2), ("Pvt Ltd", 4),
)  # fmt: skip

CONSUMER_SITE_NAMES = ("Home", "Home", "Home", "Parents' home", "Rented flat", "Weekend home")
BUSINESS_SITE_NAMES = ("Main branch", "Head office", "Kitchen", "Warehouse", "Branch 2", "Store")
ACCESS_NOTES = (
    "Call on arrival; security will not let technicians in without a call.",
    "Gate code {code}. Visitor parking opposite block C.",
    "Dog at home, please ring before entering.",
    "Lift under maintenance on Sundays; 4th floor, take the stairs.",
    "Basement parking B1, collect a visitor pass at reception.",
    "Use the service entrance on the rear lane.",
    "Elderly parents at home; speak Kannada if possible.",
    "Technician must carry ID; society allows entry 9 AM to 7 PM only.",
    "Outdoor unit on the terrace; terrace key with the watchman.",
    "Power backup switch is in the staircase utility room.",
)
TIME_OFF_REASONS = (
    "Annual leave", "Annual leave", "Sick leave", "Family function", "Festival leave",
    "Training: inverter AC certification", "Training: electrical safety refresher",
)  # fmt: skip
